import type { UploadTicket } from "./types";

const MIB = 1024 * 1024;

/** What the server accepts (docs/API.md, "Media"); checked here so a wrong file fails before any upload. */
export const ACCEPTED: Record<string, { label: string; maxBytes: number; image: boolean }> = {
  "image/jpeg": { label: "JPEG", maxBytes: 10 * MIB, image: true },
  "image/png": { label: "PNG", maxBytes: 10 * MIB, image: true },
  "image/gif": { label: "GIF", maxBytes: 10 * MIB, image: true },
  "image/webp": { label: "WebP", maxBytes: 10 * MIB, image: true },
  "application/pdf": { label: "PDF", maxBytes: 25 * MIB, image: false },
  "text/plain": { label: "text", maxBytes: 25 * MIB, image: false },
};
export const AVATAR_MAX_BYTES = 2 * MIB;
export const MAX_ATTACHMENTS = 10;
export const ACCEPT_ATTRIBUTE = Object.keys(ACCEPTED).join(",");
export const AVATAR_ACCEPT_ATTRIBUTE = Object.keys(ACCEPTED)
  .filter((type) => ACCEPTED[type]?.image)
  .join(",");

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MIB) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / MIB).toFixed(1)} MB`;
}

export function isImage(contentType: string): boolean {
  return ACCEPTED[contentType]?.image ?? false;
}

/** Why a file of this type cannot be sent (or be a profile picture), or null when it can. */
export function typeProblem(file: { name: string; type: string }, avatar = false): string | null {
  const kind = ACCEPTED[file.type];
  if (kind && (kind.image || !avatar)) return null;
  const allowed = Object.entries(ACCEPTED)
    .filter(([, k]) => k.image || !avatar)
    .map(([, k]) => k.label)
    .join(", ");
  return `${file.name} can't be ${avatar ? "a profile picture" : "sent"}: only ${allowed} files are accepted.`;
}

/** Why this file cannot be sent, or null when it can. */
export function fileProblem(
  file: { name: string; type: string; size: number },
  avatar = false,
): string | null {
  const kind = ACCEPTED[file.type];
  const wrongType = typeProblem(file, avatar);
  if (wrongType || !kind) return wrongType;
  const limit = avatar ? AVATAR_MAX_BYTES : kind.maxBytes;
  if (file.size > limit) {
    return `${file.name} is ${formatBytes(file.size)}; ${avatar ? "a profile picture" : `a ${kind.label} file`} may be up to ${formatBytes(limit)}.`;
  }
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

export type PostForm = (
  url: string,
  form: FormData,
  onProgress: (fraction: number) => void,
) => Promise<number>;

/** POSTs the presigned form straight to S3; XMLHttpRequest because fetch cannot report upload progress. */
export const postForm: PostForm = (url, form, onProgress) =>
  new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => resolve(request.status);
    request.onerror = () =>
      reject(new Error("The upload was interrupted; check your connection and try again."));
    request.send(form);
  });

/** Uploads `file` with a ticket from the API; resolves when S3 has it. */
export async function uploadWithTicket(
  ticket: UploadTicket,
  file: Blob,
  onProgress: (fraction: number) => void,
  post: PostForm = postForm,
): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.upload.fields)) form.append(name, value);
  form.append("file", file); // S3 wants the file last
  const status = await post(ticket.upload.url, form, onProgress);
  if (status < 200 || status >= 300) throw new Error(`The upload was refused (HTTP ${status}); try again.`);
  onProgress(1);
}
