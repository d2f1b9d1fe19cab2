import { otherMember } from "../lib/store";
import type { Conversation, User } from "../lib/types";
import { useChatSelector, useMyId } from "./useChat";

const SIZES = { sm: "h-7 w-7 text-xs", md: "h-9 w-9 text-sm", lg: "h-20 w-20 text-2xl" } as const;

function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  return (
    (parts[0]?.[0] ?? "?") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")
  ).toUpperCase();
}

/** A user's profile picture, or their initials on a colour of their own. */
export function Avatar({
  user,
  name,
  size = "md",
}: {
  user?: Pick<User, "id" | "displayName" | "avatarUrl"> | null;
  name?: string;
  size?: keyof typeof SIZES;
}) {
  const label = user?.displayName ?? name ?? "?";
  const classes = `${SIZES[size]} shrink-0 rounded-full object-cover`;
  if (user?.avatarUrl) {
    return <img src={user.avatarUrl} alt={label} className={classes} data-testid="avatar" />;
  }
  const hue = [...(user?.id ?? label)].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 360;
  // Dark enough on every hue (yellow is the lightest) for white initials to keep a 4.5:1 contrast.
  return (
    <span
      aria-hidden="true"
      className={`${classes} flex items-center justify-center font-semibold text-white`}
      style={{ backgroundColor: `hsl(${hue} 45% 32%)` }}
    >
      {initials(label)}
    </span>
  );
}

/** A direct conversation shows the other person's picture, with a green dot while they are online; a group, its initials. */
export function ConversationAvatar({ conversation, title }: { conversation: Conversation; title: string }) {
  const other = otherMember(conversation, useMyId());
  const user = useChatSelector((state) => (other ? state.users[other] : null));
  return (
    <span className="relative inline-flex shrink-0">
      <Avatar user={user} name={title} />
      {user?.online && (
        <span
          role="img"
          aria-label="online"
          title="online"
          data-testid="presence-dot"
          className="absolute right-0 bottom-0 h-2.5 w-2.5 rounded-full bg-green-500 ring-2 ring-white"
        />
      )}
    </span>
  );
}
