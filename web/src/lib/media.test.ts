import { describe, expect, it } from "vitest";
import { fileProblem, formatBytes, type PostForm, uploadWithTicket } from "./media";

const MIB = 1024 * 1024;

describe("fileProblem", () => {
  it("accepts the server's types within their limits", () => {
    expect(fileProblem({ name: "a.png", type: "image/png", size: 10 * MIB })).toBeNull();
    expect(fileProblem({ name: "a.pdf", type: "application/pdf", size: 25 * MIB })).toBeNull();
    expect(fileProblem({ name: "a.txt", type: "text/plain", size: 12 })).toBeNull();
  });

  it("names the file and the allowed types when the type is wrong", () => {
    expect(fileProblem({ name: "setup.exe", type: "application/x-msdownload", size: 10 })).toBe(
      "setup.exe can't be sent: only JPEG, PNG, GIF, WebP, PDF, text files are accepted.",
    );
    expect(fileProblem({ name: "unknown", type: "", size: 10 })).toContain("can't be sent");
  });

  it("gives the limit when a file is too large or empty", () => {
    expect(fileProblem({ name: "big.png", type: "image/png", size: 10 * MIB + 1 })).toBe(
      "big.png is 10.0 MB; a PNG file may be up to 10.0 MB.",
    );
    expect(fileProblem({ name: "e.txt", type: "text/plain", size: 0 })).toBe("e.txt is empty.");
  });

  it("holds profile pictures to images of 2 MB", () => {
    expect(fileProblem({ name: "cv.pdf", type: "application/pdf", size: 10 }, true)).toContain(
      "can't be a profile picture: only JPEG, PNG, GIF, WebP files",
    );
    expect(fileProblem({ name: "me.jpg", type: "image/jpeg", size: 2 * MIB + 1 }, true)).toContain(
      "up to 2.0 MB",
    );
  });
});

describe("uploadWithTicket", () => {
  const ticket = {
    mediaId: "m1",
    upload: { url: "https://bucket.example/", fields: { key: "incoming/m1", "Content-Type": "image/png" } },
    expiresIn: 300,
  };

  it("posts every field, then the file last, and reports progress", async () => {
    let posted: { url: string; names: string[] } | null = null;
    const post: PostForm = async (url, form, onProgress) => {
      posted = { url, names: [...form.keys()] };
      onProgress(0.5);
      return 204;
    };
    const progress: number[] = [];
    await uploadWithTicket(ticket, new Blob(["x"]), (f) => progress.push(f), post);
    expect(posted).toEqual({ url: "https://bucket.example/", names: ["key", "Content-Type", "file"] });
    expect(progress).toEqual([0.5, 1]);
  });

  it("fails clearly when S3 refuses the upload", async () => {
    const post: PostForm = async () => 403;
    await expect(uploadWithTicket(ticket, new Blob(["x"]), () => {}, post)).rejects.toThrow(
      "The upload was refused (HTTP 403); try again.",
    );
  });
});

describe("formatBytes", () => {
  it("reads like a file manager", () => {
    expect([formatBytes(900), formatBytes(2048), formatBytes(300 * 1024), formatBytes(3.5 * MIB)]).toEqual([
      "900 B",
      "2.0 KB",
      "300 KB",
      "3.5 MB",
    ]);
  });
});
