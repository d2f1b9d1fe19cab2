import {
  type ChangeEvent,
  type ClipboardEvent,
  type KeyboardEvent,
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from "react";
import { ACCEPT_ATTRIBUTE } from "../../lib/media";
import { quoteOf } from "../../lib/replies";
import { MAX_MESSAGE_LENGTH, type Upload } from "../../lib/types";
import { Button } from "../Button";
import { COMPOSER_ID } from "../focus";
import { PaperclipIcon } from "../Icons";
import { QuoteBody } from "../message/Quote";
import { useChatSelector, useStore } from "../useChat";
import { useMentionPicker } from "./MentionPicker";
import { TypingLine } from "./TypingLine";
import { UploadList } from "./UploadList";

/** How long typing pauses before the draft is saved: saving on every key is what made typing slow. */
export const DRAFT_SAVE_MS = 500;
const NO_UPLOADS: readonly Upload[] = [];

interface Props {
  conversationId: string;
  /** False once this user left or was removed: nothing can be sent. */
  member: boolean;
  attach: (files: FileList | File[] | null) => void;
}

/**
 * Writing and sending. The draft lives here, so a key press re-renders the composer alone; the store
 * hears each change only as typing, and keeps the draft once typing pauses, on send, and on leaving.
 */
export const Composer = memo(function Composer({ conversationId, member, attach }: Props) {
  const store = useStore();
  const [draft, setDraft] = useState(() => store.getState().drafts[conversationId] ?? "");
  const uploads = useChatSelector((state) => state.uploads[conversationId] ?? NO_UPLOADS);
  const fileInput = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const replying = useChatSelector((state) => state.replyingTo[conversationId]);
  // The original as it is now, while it is loaded: an edit or a deletion shows in the quote at once.
  const original = useChatSelector((state) =>
    replying ? state.messages[conversationId]?.find((m) => m.id === replying.messageId) : undefined,
  );
  const unsaved = useRef<{ text: string; timer: ReturnType<typeof setTimeout> } | null>(null);

  /** Saves what is waiting to be saved, now. */
  const flush = useCallback(() => {
    const waiting = unsaved.current;
    if (!waiting) return;
    clearTimeout(waiting.timer);
    unsaved.current = null;
    store.saveDraft(conversationId, waiting.text);
  }, [store, conversationId]);

  // Leaving the conversation keeps what was typed, in the conversation it was typed in; so does leaving
  // the page (a reload, a closed tab, a phone switching apps), where React unmounts nothing: the page
  // may never come back, so the draft is saved as it is hidden.
  useEffect(() => {
    const flushIfHidden = () => {
      if (document.visibilityState === "hidden") flush();
    };
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", flushIfHidden);
    return () => {
      window.removeEventListener("pagehide", flush);
      document.removeEventListener("visibilitychange", flushIfHidden);
      flush();
    };
  }, [flush]);

  // "Reply" was chosen: the Message box takes focus, to write it.
  const replyingId = replying?.messageId;
  useEffect(() => {
    if (replyingId) box.current?.focus();
  }, [replyingId]);

  function edit(text: string) {
    setDraft(text);
    store.typed(conversationId, text);
    if (unsaved.current) clearTimeout(unsaved.current.timer);
    unsaved.current = { text, timer: setTimeout(flush, DRAFT_SAVE_MS) };
  }

  // A member picked from the "@" list: the caret goes after the name put in, once it is shown.
  const caretAfterPick = useRef<number | null>(null);
  const picker = useMentionPicker(conversationId, draft, (text, caret) => {
    caretAfterPick.current = caret;
    edit(text);
  });
  useLayoutEffect(() => {
    const caret = caretAfterPick.current;
    const element = box.current;
    if (caret === null || !element) return;
    caretAfterPick.current = null;
    element.setSelectionRange(caret, caret);
    picker.follow(element, true);
  });

  function change(event: ChangeEvent<HTMLTextAreaElement>) {
    edit(event.target.value);
    picker.follow(event.target, true);
  }

  const uploading = uploads.some((u) => u.status === "uploading");
  const ready = uploads.some((u) => u.status === "done");
  const tooLong = draft.length > MAX_MESSAGE_LENGTH;
  const canSend = member && (draft.trim() !== "" || ready) && !uploading && !tooLong;

  function send() {
    if (!canSend || !store.send(conversationId, draft)) return;
    if (unsaved.current) clearTimeout(unsaved.current.timer);
    unsaved.current = null;
    setDraft("");
    store.typed(conversationId, "");
    store.saveDraft(conversationId, "");
  }

  function onPaste(event: ClipboardEvent<HTMLTextAreaElement>) {
    const files = [...event.clipboardData.files];
    if (files.length > 0) {
      event.preventDefault(); // a pasted screenshot is an attachment, not text
      attach(files);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.nativeEvent.isComposing || picker.onKeyDown(event)) return;
    if (event.key === "Escape" && replying) {
      event.preventDefault();
      store.cancelReply(conversationId);
    } else if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  }

  return (
    <form
      className="border-t border-slate-200 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {!member && (
        <p data-testid="not-member" className="mb-2 text-center text-sm font-medium text-slate-600">
          You are no longer a member of this group
        </p>
      )}
      <TypingLine conversationId={conversationId} />
      {replying && member && (
        <div
          data-testid="composer-quote"
          className="mb-2 flex items-center gap-2 rounded border-l-4 border-teal-600 bg-slate-100 px-2 py-1"
        >
          <span className="min-w-0 flex-1">
            <span className="sr-only">Replying to: </span>
            <QuoteBody quote={original ? quoteOf(original) : replying} />
          </span>
          <Button
            variant="ghost"
            size="xs"
            onClick={() => {
              store.cancelReply(conversationId);
              box.current?.focus();
            }}
            aria-label="Cancel reply"
            title="Cancel reply (Escape)"
          >
            ✕
          </Button>
        </div>
      )}
      <UploadList conversationId={conversationId} uploads={uploads} />
      {picker.list}
      <fieldset disabled={!member} className="flex min-w-0 items-end gap-2">
        <input
          ref={fileInput}
          type="file"
          multiple
          accept={ACCEPT_ATTRIBUTE}
          className="hidden"
          aria-label="Attach files"
          onChange={(event) => {
            attach(event.target.files);
            event.target.value = ""; // the same file can be picked again
          }}
        />
        <Button
          size="narrow"
          onClick={() => fileInput.current?.click()}
          aria-label="Attach a photo or file"
          title="Attach a photo or file (or drop or paste one)"
        >
          <PaperclipIcon />
        </Button>
        <label className="sr-only" htmlFor={COMPOSER_ID}>
          Message
        </label>
        <textarea
          ref={box}
          id={COMPOSER_ID}
          rows={2}
          value={draft}
          onChange={change}
          onKeyDown={onKeyDown}
          onSelect={(event) => picker.follow(event.currentTarget, false)}
          onPaste={onPaste}
          {...picker.boxProps}
          placeholder="Write a message. Enter sends, Shift+Enter adds a line."
          aria-invalid={tooLong}
          aria-describedby="composer-count"
          className="min-h-10 flex-1 resize-none rounded border border-slate-300 px-3 py-2 focus:border-teal-600 focus:outline-none disabled:bg-slate-100"
        />
        <Button type="submit" variant="primary" disabled={!canSend}>
          Send
        </Button>
      </fieldset>
      <p
        id="composer-count"
        className={`mt-1 text-right text-xs ${tooLong ? "text-red-700" : "text-slate-500"}`}
      >
        {tooLong
          ? `${draft.length - MAX_MESSAGE_LENGTH} characters over the ${MAX_MESSAGE_LENGTH.toLocaleString()} limit`
          : `${draft.length.toLocaleString()} / ${MAX_MESSAGE_LENGTH.toLocaleString()}`}
      </p>
    </form>
  );
});
