import { useEffect, useState } from "react";
import type { PushStatus } from "../lib/push";
import { Button } from "./Button";
import { useChatSelector, useStore } from "./useChat";

const STATUS_TEXT: Record<PushStatus, string> = {
  checking: "Checking what this browser allows…",
  unsupported:
    "This browser cannot show notifications from Chat. On an iPhone or iPad, add Chat to your Home Screen first.",
  unconfigured: "This server does not send notifications.",
  blocked:
    "Blocked by your browser. Allow notifications for this site in the browser's site settings, then open this again.",
  off: "Off in this browser.",
  on: "On in this browser: new messages show while you are away from Chat.",
};

/** What is under way, from a click here: its control says so, and every control waits for it. */
type Change = "turning on" | "turning off" | "saving previews";

/**
 * Push notifications for this browser, and whether they show message previews (for every device).
 * Both take effect at once, apart from the profile form's Save.
 */
export function NotificationSettings() {
  const store = useStore();
  const status = useChatSelector((state) => state.webPush);
  const savedPreviews = useChatSelector((state) => state.session?.user.notificationPreviews);
  const [change, setChange] = useState<Change | null>(null);
  const busy = change !== null;
  const [error, setError] = useState<string | null>(null);
  // The switch moves at once; if saving fails it goes back to what the server holds.
  const [savingPreviews, setSavingPreviews] = useState<boolean | null>(null);
  const previews = savingPreviews ?? savedPreviews;

  // The browser's permission may have changed since the app started; only the profile says previews.
  useEffect(() => {
    void store.checkNotifications();
    void store.loadProfile();
  }, [store]);

  async function run(under: Change, action: () => Promise<void>, failure: string) {
    setChange(under);
    setError(null);
    try {
      await action();
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : failure);
    } finally {
      setChange(null);
    }
  }

  return (
    <fieldset className="space-y-2 rounded border border-slate-200 px-3 pb-3" aria-busy={busy}>
      <legend className="px-1 text-sm font-medium">Notifications</legend>
      {/* Turning on can wait on the browser's prompt and its push service: say so meanwhile. */}
      <p
        data-testid="notifications-status"
        data-status={status}
        aria-live="polite"
        className="text-sm text-slate-600"
      >
        {change === "turning on" ? "Turning on notifications in this browser…" : STATUS_TEXT[status]}
      </p>
      {status === "off" && (
        <Button
          variant="primary"
          size="sm"
          disabled={busy}
          // The browser's permission prompt opens from this click, never on its own.
          onClick={() =>
            void run("turning on", () => store.enableNotifications(), "Notifications could not be turned on.")
          }
        >
          {change === "turning on" ? "Turning on…" : "Enable notifications"}
        </Button>
      )}
      {status === "on" && (
        <Button
          size="sm"
          disabled={busy}
          onClick={() =>
            void run(
              "turning off",
              () => store.disableNotifications(),
              "Notifications could not be turned off.",
            )
          }
        >
          {change === "turning off" ? "Turning off…" : "Turn off notifications"}
        </Button>
      )}
      {status !== "unconfigured" && (
        <div>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={previews ?? true}
              disabled={previews === undefined || busy}
              aria-describedby="previews-hint"
              onChange={(event) => {
                const on = event.target.checked;
                setSavingPreviews(on);
                void run(
                  "saving previews",
                  () => store.setNotificationPreviews(on),
                  "The setting could not be saved.",
                ).finally(() => setSavingPreviews(null));
              }}
              className="accent-teal-700"
            />
            Show message previews
          </label>
          <p id="previews-hint" className="ml-6 text-xs text-slate-500">
            On every device. When off, notifications say “New message”, not what was written.
          </p>
        </div>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}
