import { type FormEvent, useEffect, useState } from "react";
import { AVATAR_ACCEPT_ATTRIBUTE, fileProblem, typeProblem } from "../lib/media";
import type { User } from "../lib/types";
import { Avatar } from "./Avatar";
import { BlockedPeople } from "./BlockedPeople";
import { Button } from "./Button";
import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog, TextField } from "./Dialog";
import { NotificationSettings } from "./NotificationSettings";
import { useChatSelector, useStore } from "./useChat";

/** Pictures are cropped to the centre square at this size: sharp on any screen, well under 2 MB. */
const AVATAR_PIXELS = 512;
const MAX_SOURCE_BYTES = 25 * 1024 * 1024;

async function cropToSquare(file: File): Promise<Blob> {
  const image = await createImageBitmap(file);
  const side = Math.min(image.width, image.height);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = Math.min(AVATAR_PIXELS, side);
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser cannot prepare the picture.");
  context.drawImage(
    image,
    (image.width - side) / 2,
    (image.height - side) / 2,
    side,
    side,
    0,
    0,
    canvas.width,
    canvas.height,
  );
  image.close();
  const type = file.type === "image/png" || file.type === "image/gif" ? "image/png" : "image/jpeg";
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("The picture could not be prepared."))),
      type,
      0.9,
    ),
  );
}

/**
 * The signed-in user's profile: picture, display name, notifications, the people they blocked, and
 * logging out everywhere.
 */
export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const user = useChatSelector((state) => state.session?.user);
  // Signing out (here, or elsewhere) unmounts the sidebar that holds this.
  return user ? <ProfileForm user={user} onClose={onClose} /> : null;
}

function ProfileForm({ user, onClose }: { user: User; onClose: () => void }) {
  const store = useStore();
  const [displayName, setDisplayName] = useState(user.displayName);
  const [picture, setPicture] = useState<Blob | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [leavingEverywhere, setLeavingEverywhere] = useState(false);

  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  async function choose(file: File | undefined) {
    setError(null);
    if (!file) return;
    // The type is checked here; the 2 MB limit applies to what is uploaded, the cropped copy.
    const wrongType = typeProblem(file, true);
    if (wrongType || file.size > MAX_SOURCE_BYTES) {
      setError(wrongType ?? `${file.name} is too large to use; pick a picture under 25 MB.`);
      return;
    }
    try {
      const cropped = await cropToSquare(file);
      const tooLarge = fileProblem(
        { name: "The cropped picture", type: cropped.type, size: cropped.size },
        true,
      );
      if (tooLarge) throw new Error(tooLarge);
      setPicture(cropped);
      setPreview(URL.createObjectURL(cropped));
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : "That picture could not be read.");
    }
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setProgress(picture ? 0 : null);
    try {
      await store.updateProfile(displayName, picture, setProgress);
      onClose();
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : "Your profile could not be saved.");
      setProgress(null);
    }
  }

  return (
    <Dialog title="Your profile" onClose={onClose} size="sm">
      <form onSubmit={save} className="space-y-4">
        <div className="flex items-center gap-4">
          {preview ? (
            <img
              src={preview}
              alt="New profile preview"
              data-testid="avatar-preview"
              className="h-20 w-20 rounded-full object-cover"
            />
          ) : (
            <Avatar user={user} size="lg" />
          )}
          <label className="cursor-pointer rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100">
            Choose a picture
            <input
              type="file"
              accept={AVATAR_ACCEPT_ATTRIBUTE}
              className="sr-only"
              onChange={(e) => void choose(e.target.files?.[0])}
            />
          </label>
        </div>
        <p className="text-xs text-slate-500">JPEG, PNG, GIF or WebP; cropped to a square.</p>
        <TextField label="Display name" value={displayName} onChange={setDisplayName} maxLength={64} />
        <NotificationSettings />
        <BlockedPeople />
        {progress !== null && (
          <progress
            className="h-1.5 w-full accent-teal-700"
            max={1}
            value={progress}
            aria-label="Uploading"
          />
        )}
        {error && (
          <p role="alert" className="text-sm text-red-700">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button
            variant="link"
            onClick={() => setLeavingEverywhere(true)}
            className="mr-auto text-sm text-red-700"
          >
            Log out everywhere
          </Button>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={progress !== null}>
            Save
          </Button>
        </div>
      </form>
      {leavingEverywhere && (
        <ConfirmDialog
          title="Log out everywhere?"
          confirm="Yes, log out everywhere"
          cancel="No"
          onConfirm={() => {
            setLeavingEverywhere(false);
            void store.logOutEverywhere().catch((e: Error) => setError(e.message));
          }}
          onCancel={() => setLeavingEverywhere(false)}
        >
          Every device signed in as you is logged out, this one too.
        </ConfirmDialog>
      )}
    </Dialog>
  );
}
