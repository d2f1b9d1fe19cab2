import { type FormEvent, useState } from "react";
import type { User } from "../lib/types";
import { Button } from "./Button";
import { Dialog, TextField } from "./Dialog";
import { PeoplePicker } from "./PeopleSearch";
import { useStore } from "./useChat";

interface Props {
  onClose: () => void;
  onCreated: (conversationId: string) => void;
}

/** Names a group and picks its first members. */
export function NewGroupDialog({ onClose, onCreated }: Props) {
  const store = useStore();
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
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={submit} className="space-y-4">
        <TextField label="Group name" value={name} onChange={setName} maxLength={100} />
        <PeoplePicker
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
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">
            Create group
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
