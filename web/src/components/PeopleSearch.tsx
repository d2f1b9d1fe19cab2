import { useEffect, useRef, useState } from "react";
import type { User } from "../lib/types";
import { useStore } from "./useChat";

/** People whose username or display name starts with `query`, looked up as the user types. */
export function usePeopleSearch(query: string): { results: User[]; error: string | null } {
  const store = useStore();
  const [results, setResults] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!query.trim()) {
      setResults([]);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      store.api
        .searchUsers(query.trim())
        .then((page) => {
          if (cancelled) return;
          setResults(page.items);
          setError(null);
        })
        .catch((e: Error) => {
          if (!cancelled) setError(e.message);
        });
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [store, query]);
  return { results, error };
}

interface FieldProps {
  label: string;
  query: string;
  onChange: (query: string) => void;
  compact?: boolean;
}

/** The search box for finding people: in the sidebar, and when picking group members. */
export function PeopleSearchField({ label, query, onChange, compact = false }: FieldProps) {
  return (
    <label className={`block font-medium ${compact ? "text-xs text-slate-600" : "text-sm"}`}>
      {label}
      <input
        type="search"
        value={query}
        onChange={(e) => onChange(e.target.value)}
        placeholder="Name or username"
        className={`mt-1 w-full rounded border border-slate-300 px-3 focus:border-teal-600 focus:outline-none ${
          compact ? "py-1.5 text-sm" : "py-2"
        }`}
      />
    </label>
  );
}

/** Find people and pick them one by one (new group members, people to add to a group). */
export function PeoplePicker({
  label,
  exclude,
  onPick,
}: {
  label: string;
  /** Ids not to offer (already picked, already members). */
  exclude: readonly string[];
  onPick: (user: User) => void;
}) {
  const [query, setQuery] = useState("");
  const { results } = usePeopleSearch(query);
  const picker = useRef<HTMLDivElement>(null);
  return (
    <div ref={picker}>
      <PeopleSearchField label={label} query={query} onChange={setQuery} />
      {query.trim() && (
        <ul aria-label="Matching people" className="mt-1 max-h-40 overflow-y-auto">
          {results
            .filter((u) => !exclude.includes(u.id))
            .map((user) => (
              <li key={user.id}>
                <button
                  type="button"
                  onClick={() => {
                    onPick(user);
                    setQuery("");
                    // The button goes with the results: focus goes back to the search, ready for the next.
                    picker.current?.querySelector("input")?.focus();
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
    </div>
  );
}
