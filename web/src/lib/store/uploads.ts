import type { ApiClient } from "../api";
import { fileProblem, isImage, MAX_ATTACHMENTS, uploadWithTicket } from "../media";
import { newClientMsgId } from "../messages";
import type { Attachment, Upload } from "../types";
import type { ChatEnvironment } from "./environment";
import { type ChatState, type ChatStateCell, withEntry } from "./state";

/** A pasted screenshot may come without a name; the server needs one to show. */
function uploadName(file: File): string {
  return file.name || "pasted file";
}

/** One upload changed in a conversation's composer; the other conversations keep theirs. */
export function withUploadPatch(
  uploads: ChatState["uploads"],
  conversationId: string,
  uploadId: string,
  patch: Partial<Upload>,
): ChatState["uploads"] {
  const list = uploads[conversationId];
  if (!list?.some((u) => u.id === uploadId)) return uploads;
  return withEntry(
    uploads,
    conversationId,
    list.map((u) => (u.id === uploadId ? { ...u, ...patch } : u)),
  );
}

/**
 * Files attached in each composer: checked, uploaded straight to S3 with a progress bar each, then
 * handed to the message that carries them. An image's preview is an object URL, which holds the file
 * in memory until it is revoked: this part makes them, so it revokes each once nothing shows it.
 */
export class Uploads {
  /** Preview URLs made and not yet revoked. */
  private readonly previews = new Set<string>();

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    private readonly api: ApiClient,
  ) {}

  attach(conversationId: string, files: File[]): void {
    const current = this.cell.state.uploads[conversationId] ?? [];
    let room = MAX_ATTACHMENTS - current.filter((u) => u.status !== "failed").length;
    const added: Upload[] = [];
    const started: Array<[Upload, File]> = [];
    for (const file of files) {
      const upload: Upload = {
        id: newClientMsgId(),
        name: uploadName(file),
        contentType: file.type,
        size: file.size,
        progress: 0,
        status: "uploading",
      };
      const problem =
        room <= 0
          ? `${upload.name}: a message carries at most ${MAX_ATTACHMENTS} files.`
          : fileProblem({ name: upload.name, type: file.type, size: file.size });
      if (problem) {
        added.push({ ...upload, status: "failed", error: problem });
        continue;
      }
      room -= 1;
      if (isImage(file.type)) {
        upload.previewUrl = this.env.createObjectURL(file);
        this.previews.add(upload.previewUrl);
      }
      added.push(upload);
      started.push([upload, file]);
    }
    this.set(conversationId, [...current, ...added]);
    for (const [upload, file] of started) void this.upload(conversationId, upload.id, file);
  }

  private async upload(conversationId: string, uploadId: string, file: File): Promise<void> {
    // The account's composers are emptied when it changes: its uploads finishing later change nothing.
    const same = this.cell.sameAccount();
    const patch = (change: Partial<Upload>) => {
      if (same()) this.patch(conversationId, uploadId, change);
    };
    try {
      const ticket = await this.api.uploadTicket(conversationId, {
        name: uploadName(file),
        type: file.type,
        size: file.size,
      });
      if (!same()) return;
      await uploadWithTicket(ticket, file, (progress) => patch({ progress }), this.env.postForm);
      patch({ status: "done", progress: 1, mediaId: ticket.mediaId });
    } catch (error) {
      const message = error instanceof Error ? error.message : "The upload failed.";
      patch({ status: "failed", error: message });
    }
  }

  remove(conversationId: string, uploadId: string): void {
    const uploads = this.cell.state.uploads[conversationId] ?? [];
    const removed = uploads.find((u) => u.id === uploadId);
    if (removed?.previewUrl) this.release([removed.previewUrl]);
    this.set(
      conversationId,
      uploads.filter((u) => u.id !== uploadId),
    );
  }

  /** The finished uploads a message can carry now; null while one is still uploading. */
  ready(conversationId: string): Upload[] | null {
    const uploads = this.cell.state.uploads[conversationId] ?? [];
    if (uploads.some((u) => u.status === "uploading")) return null;
    return uploads.filter((u) => u.status === "done" && u.mediaId);
  }

  /** The message took the finished uploads (their previews go with it): the failed ones stay to be seen. */
  handOver(conversationId: string, attachments: readonly Upload[]): Attachment[] {
    const uploads = this.cell.state.uploads[conversationId] ?? [];
    const failed = uploads.filter((u) => u.status === "failed");
    if (failed.length !== uploads.length) this.set(conversationId, failed);
    return attachments.map((u) => ({
      mediaId: u.mediaId as string,
      name: u.name,
      contentType: u.contentType,
      size: u.size,
      url: u.previewUrl ?? null,
    }));
  }

  /** Revokes previews nothing shows any more (a sent message's, once the server's copy replaces it). */
  release(urls: ReadonlyArray<string | null | undefined>): void {
    for (const url of urls) {
      if (url && this.previews.delete(url)) this.env.revokeObjectURL(url);
    }
  }

  /** The account's composers and pending messages are being cleared: every preview goes with them. */
  forget(): void {
    this.release([...this.previews]);
  }

  private set(conversationId: string, uploads: Upload[]): void {
    this.cell.update({ uploads: withEntry(this.cell.state.uploads, conversationId, uploads) });
  }

  private patch(conversationId: string, uploadId: string, patch: Partial<Upload>): void {
    this.cell.update({ uploads: withUploadPatch(this.cell.state.uploads, conversationId, uploadId, patch) });
  }
}
