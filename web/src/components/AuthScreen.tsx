import { type FormEvent, useState } from "react";
import { Button } from "./Button";
import { useChatSelector, useStore } from "./useChat";

/** Log in, or sign up; a notice (the session ended, say) shows above the form. */
export function AuthScreen() {
  const store = useStore();
  const notice = useChatSelector((state) => state.notice);
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "signup") await store.signUp(username, password, displayName);
      else await store.logIn(username, password);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Something went wrong; try again.");
    } finally {
      setBusy(false);
    }
  }

  const field =
    "mt-1 w-full rounded border border-slate-300 px-3 py-2 focus:border-teal-600 focus:outline-none";
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center p-6">
      <h1 className="mb-6 text-2xl font-semibold text-teal-800">Chat</h1>
      {notice && (
        <p role="status" className="mb-4 rounded bg-amber-50 p-3 text-sm text-amber-900">
          {notice}
        </p>
      )}
      <form onSubmit={submit} className="space-y-4" aria-label={mode === "signup" ? "Sign up" : "Log in"}>
        <label className="block text-sm font-medium">
          Username
          <input
            className={field}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            required
          />
        </label>
        <label className="block text-sm font-medium">
          Password
          <input
            className={field}
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === "signup" ? "new-password" : "current-password"}
            required
          />
        </label>
        {mode === "signup" && (
          <label className="block text-sm font-medium">
            Display name
            <input
              className={field}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              maxLength={64}
            />
          </label>
        )}
        {error && (
          <p role="alert" className="text-sm text-red-700">
            {error}
          </p>
        )}
        <Button type="submit" variant="primary" disabled={busy} className="w-full">
          {mode === "signup" ? "Sign up" : "Log in"}
        </Button>
      </form>
      <p className="mt-4 text-sm text-slate-600">
        {mode === "signup" ? "Have an account?" : "New here?"}{" "}
        <Button
          variant="link"
          className="text-teal-700"
          onClick={() => {
            setMode(mode === "signup" ? "login" : "signup");
            setError(null);
          }}
        >
          {mode === "signup" ? "Log in instead" : "Create an account"}
        </Button>
      </p>
    </main>
  );
}
