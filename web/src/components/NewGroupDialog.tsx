import { type FormEvent, useState } from "react";
import type { ChatStore } from "../lib/store";
import type { User } from "../lib/types";
import { Dialog, TextField } from "./Dialog";
import { PeoplePicker } from "./PeopleSearch";

interface Props {
  store: ChatStore;
  onClose: () => void;
  onCreated: (conversationId: string) => void;
}

export function NewGroupDialog({ store, onClose, onCreated }: Props) {
  const [name, setName] = useState("");
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (members.length === 0) {
      setError("Add at least one member.");
      return;
    }
    try {
      onCreated(
        await store.createGroup(
          name.trim(),
          members.map((m) => m.id),
        ),
      );
    } catch (e) {
      setError(e instanceof Error ? e.message : "The group could not be created.");
    }
  }

  return (
    <Dialog label="New group" onClose={onClose}>
      <form onSubmit={submit} className="space-y-4">
        <h2 className="text-lg font-semibold">New group</h2>
        <TextField label="Group name" value={name} onChange={setName} maxLength={100} />
        <PeoplePicker
          store={store}
          label="Add members"
          exclude={members.map((m) => m.id)}
          onPick={(user) => setMembers([...members, user])}
        />
        <ul aria-label="Members" className="flex flex-wrap gap-2">
          {members.map((member) => (
            <li key={member.id} className="flex items-center gap-1 rounded-full bg-teal-50 px-3 py-1 text-sm">
              {member.displayName}
              <button
                type="button"
                aria-label={`Remove ${member.displayName}`}
                onClick={() => setMembers(members.filter((m) => m.id !== member.id))}
                className="text-slate-500 hover:text-slate-900"
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        {error && (
          <p role="alert" className="text-sm text-red-700">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onClose} className="rounded border border-slate-300 px-4 py-2">
            Cancel
          </button>
          <button type="submit" className="rounded bg-teal-700 px-4 py-2 font-medium text-white">
            Create group
          </button>
        </div>
      </form>
    </Dialog>
  );
}
