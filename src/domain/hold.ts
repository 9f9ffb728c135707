import type { HoldLine } from './cart.ts';
import { DomainError, ErrorCode } from './errors.ts';

/** A hold reserves stock for a short time. Only `active` holds count as held stock. */
export const HoldStatus = {
  Active: 'active',
  Confirmed: 'confirmed',
  Expired: 'expired',
  Released: 'released',
} as const;
export type HoldStatus = (typeof HoldStatus)[keyof typeof HoldStatus];
export const HOLD_STATUSES = Object.values(HoldStatus);

/** Who ended a hold: the order that confirmed it, the client, the expiry job, the sweeper, or a
 * request that found it overdue before either of them ran. */
export type HoldEndedBy = 'order' | 'client' | 'job' | 'sweeper' | 'request';

export interface Hold {
  id: string;
  /** One line per product, in the order the client sent them. */
  lines: HoldLine[];
  status: HoldStatus;
  expiresAt: Date;
  createdAt: Date;
}

/** Every transition a hold may make; anything else is refused. Terminal states have none. */
const transitions: Record<HoldStatus, readonly HoldStatus[]> = {
  active: ['confirmed', 'expired', 'released'],
  confirmed: [],
  expired: [],
  released: [],
};

export const canTransitionHold = (from: HoldStatus, to: HoldStatus): boolean => transitions[from].includes(to);

/** The error a client gets when it tries to use a hold that is no longer active. */
export function holdNotActiveError(hold: { id: string; status: Exclude<HoldStatus, 'active'> }): DomainError {
  const details = { hold_id: hold.id, hold_status: hold.status };
  switch (hold.status) {
    case 'expired':
      return new DomainError(ErrorCode.HoldExpired, `Hold ${hold.id} has expired.`, details);
    case 'released':
      return new DomainError(ErrorCode.HoldReleased, `Hold ${hold.id} was released.`, details);
    case 'confirmed':
      return new DomainError(ErrorCode.HoldConfirmed, `Hold ${hold.id} was already turned into an order.`, details);
  }
}
