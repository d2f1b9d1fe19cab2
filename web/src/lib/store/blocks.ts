import type { ApiClient } from "../api";
import type { ChatStateCell } from "./state";

/** The blocked list with `userId` in it (first: the latest) or out of it. */
export function withBlocked(blocked: readonly string[] | null, userId: string, on: boolean): string[] {
  const others = (blocked ?? []).filter((id) => id !== userId);
  return on ? [userId, ...others] : others;
}

/**
 * The people this user blocked (GET /api/users/me/blocks): asked for at sign-in and after each
 * reconnect (a block made on another device is pushed to no one), and changed by blocking and
 * unblocking here. Blocking says nothing to the one blocked: the server refuses what they send.
 */
export class Blocks {
  constructor(
    private readonly cell: ChatStateCell,
    private readonly api: ApiClient,
  ) {}

  async load(): Promise<void> {
    const same = this.cell.sameAccount();
    try {
      const { items } = await this.api.blocks();
      if (!same()) return;
      const users = { ...this.cell.state.users };
      for (const user of items) users[user.id] = user;
      this.cell.update({ users, blocked: items.map((u) => u.id) });
    } catch {
      // Kept as it was: the next reconnect asks again.
    }
  }

  /** Blocks or unblocks someone; false when it failed (the reader is told why). */
  async set(userId: string, blocked: boolean): Promise<boolean> {
    const same = this.cell.sameAccount();
    try {
      await this.api.setBlocked(userId, blocked);
      if (same()) this.cell.update({ blocked: withBlocked(this.cell.state.blocked, userId, blocked) });
      return true;
    } catch (error) {
      if (same()) this.cell.report(error);
      return false;
    }
  }
}

/** Whether this user blocked `userId`. */
export function isBlocked(blocked: readonly string[] | null, userId: string | undefined): boolean {
  return !!userId && !!blocked?.includes(userId);
}
