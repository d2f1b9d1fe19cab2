import { formatBytes } from "../../lib/media";
import type { Upload } from "../../lib/types";
import { FileIcon } from "../Icons";
import { useStore } from "../useChat";

/** Files attached to the next message: each uploading with its progress, ready, or failed and why. */
export function UploadList({
  conversationId,
  uploads,
}: {
  conversationId: string;
  uploads: readonly Upload[];
}) {
  const store = useStore();
  if (uploads.length === 0) return null;
  return (
    <ul aria-label="Attachments" className="mb-2 space-y-1">
      {uploads.map((upload) => (
        <li
          key={upload.id}
          data-testid="upload"
          data-status={upload.status}
          className="flex items-center gap-2 rounded border border-slate-200 px-2 py-1 text-sm"
        >
          {upload.previewUrl ? (
            <img src={upload.previewUrl} alt="" className="h-8 w-8 rounded object-cover" />
          ) : (
            <FileIcon />
          )}
          <span className="min-w-0 flex-1">
            <span className="block truncate">
              {upload.name} <span className="text-slate-500">{formatBytes(upload.size)}</span>
            </span>
            {upload.status === "failed" ? (
              <span role="alert" className="block text-xs text-red-700">
                {upload.error}
              </span>
            ) : (
              <progress
                className="h-1.5 w-full accent-teal-700"
                max={1}
                value={upload.progress}
                aria-label={`Uploading ${upload.name}`}
              />
            )}
          </span>
          <button
            type="button"
            onClick={() => store.removeUpload(conversationId, upload.id)}
            className="rounded px-1.5 text-slate-500 hover:bg-slate-100"
            aria-label={`Remove ${upload.name}`}
          >
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}
