import { type FormEvent, useState } from "react";
import type { ChatStore } from "../lib/store";
import type { User } from "../lib/types";
import { PeopleSearchField, usePeopleSearch } from "./PeopleSearch";

interface Props {
  store: ChatStore;
  onClose: () => void;
  onCreated: (conversationId: string) => void;
}

export function NewGroupDialog({ store, onClose, onCreated }: Props) {
  const [name, setName] = useState("");
  const [query, setQuery] = useState("");
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const { results } = usePeopleSearch(store, query);

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
    <div className="fixed inset-0 z-10 flex items-center justify-center bg-black/30 p-4">
      <form
        onSubmit={submit}
        role="dialog"
        aria-modal="true"
        aria-label="New group"
        className="w-full max-w-md space-y-4 rounded-lg bg-white p-5 shadow-xl"
        onKeyDown={(e) => e.key === "Escape" && onClose()}
      >
        <h2 className="text-lg font-semibold">New group</h2>
        <label className="block text-sm font-medium">
          Group name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={100}
            className="mt-1 w-full rounded border border-slate-300 px-3 py-2"
          />
        </label>
        <PeopleSearchField label="Add members" query={query} onChange={setQuery} />
        {query.trim() && (
          <ul aria-label="Matching people" className="max-h-40 overflow-y-auto">
            {results
              .filter((u) => !members.some((m) => m.id === u.id))
              .map((user) => (
                <li key={user.id}>
                  <button
                    type="button"
                    onClick={() => {
                      setMembers([...members, user]);
                      setQuery("");
                    }}
                    className="w-full rounded px-2 py-1 text-left text-sm hover:bg-slate-100"
                    aria-label={`Add ${user.displayName}`}
                  >
                    {user.displayName} <span className="text-slate-500">@{user.username}</span>
                  </button>
                </li>
              ))}
          </ul>
        )}
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
    </div>
  );
}
