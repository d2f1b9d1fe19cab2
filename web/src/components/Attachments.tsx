import { useState } from "react";
import { formatBytes, isImage } from "../lib/media";
import type { Attachment } from "../lib/types";
import { Button } from "./Button";
import { useKeepRowMounted } from "./conversation/pinnedRows";
import { Modal } from "./Dialog";
import { FileIcon } from "./Icons";

interface Props {
  attachments: Attachment[];
  mine: boolean;
  /** A link failed to load (it may have expired): ask for fresh ones. */
  onBrokenLink: () => void;
}

/** Images as thumbnails that open a lightbox; other files as download chips with name and size. */
export function Attachments({ attachments, mine, onBrokenLink }: Props) {
  const [open, setOpen] = useState<Attachment | null>(null);
  // The photo stays open when its message scrolls out of view (or new messages push it up).
  useKeepRowMounted(open !== null);
  if (attachments.length === 0) return null;
  return (
    <div className="mt-1 flex flex-wrap gap-2">
      {attachments.map((attachment) =>
        isImage(attachment.contentType) && attachment.url ? (
          <button
            key={attachment.mediaId}
            type="button"
            onClick={() => setOpen(attachment)}
            className="overflow-hidden rounded-lg"
            aria-label={`Open ${attachment.name}`}
          >
            <img
              src={attachment.url}
              alt={attachment.name}
              width={attachment.width ?? undefined}
              height={attachment.height ?? undefined}
              loading="lazy"
              onError={onBrokenLink}
              data-testid="attachment-image"
              className="max-h-60 max-w-full object-contain"
              style={{ width: "auto", height: "auto", maxWidth: "16rem" }}
            />
          </button>
        ) : (
          <a
            key={attachment.mediaId}
            href={attachment.url ?? undefined}
            download={attachment.name}
            data-testid="attachment-file"
            className={`flex items-center gap-2 rounded-lg border px-3 py-2 text-sm ${
              mine ? "border-teal-500 text-white" : "border-slate-200 text-slate-800"
            }`}
          >
            <FileIcon />
            <span className="max-w-48 truncate font-medium">{attachment.name}</span>
            <span className={mine ? "text-teal-100" : "text-slate-500"}>{formatBytes(attachment.size)}</span>
          </a>
        ),
      )}
      {open?.url && <Lightbox attachment={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

/** A photo at full size over the app: it takes focus, Escape or a click outside its links closes it. */
function Lightbox({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  return (
    <Modal
      label={attachment.name}
      focusSelf
      onClose={onClose}
      onClick={(event) => {
        if (!(event.target as Element).closest("a, button")) onClose();
      }}
      className="m-0 h-dvh max-h-none w-dvw max-w-none bg-black/85 p-4 outline-none backdrop:bg-transparent"
    >
      <div className="flex h-full flex-col items-center justify-center gap-3">
        <img
          src={attachment.url ?? undefined}
          alt={attachment.name}
          className="max-h-[85vh] max-w-full object-contain"
          data-testid="lightbox-image"
        />
        <div className="flex gap-4 text-sm text-white">
          <span>
            {attachment.name} · {formatBytes(attachment.size)}
          </span>
          <a href={attachment.url ?? undefined} download={attachment.name} className="underline">
            Download
          </a>
          <Button variant="link" onClick={onClose}>
            Close
          </Button>
        </div>
      </div>
    </Modal>
  );
}
