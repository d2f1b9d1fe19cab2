import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { MAX_MESSAGE_LENGTH, type Message } from "../../lib/types";
import { Button } from "../Button";

/** Edits a message in place: Enter saves, Shift+Enter adds a line, Escape cancels. */
export function MessageEditor({
  message,
  onSave,
  onCancel,
}: {
  message: Message;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(message.text);
  const field = useRef<HTMLTextAreaElement>(null);
  const empty = !text.trim() && (message.attachments ?? []).length === 0;
  const valid = !empty && text.length <= MAX_MESSAGE_LENGTH;

  useEffect(() => {
    const element = field.current;
    element?.focus();
    element?.setSelectionRange(element.value.length, element.value.length);
  }, []);

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    } else if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (valid) onSave(text);
    }
  }

  return (
    <span className="block min-w-48">
      <textarea
        ref={field}
        aria-label="Edit message"
        value={text}
        rows={Math.min(6, text.split("\n").length + 1)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={!valid}
        className="w-full resize-none rounded border border-slate-300 bg-white px-2 py-1 text-slate-900 focus:border-teal-600 focus:outline-none"
      />
      <span className="mt-1 flex justify-end gap-2 text-xs">
        <Button variant="link" onClick={onCancel} className="rounded px-2 py-1">
          Cancel
        </Button>
        <Button variant="inverse" size="xs" disabled={!valid} onClick={() => onSave(text)}>
          Save
        </Button>
      </span>
    </span>
  );
}
