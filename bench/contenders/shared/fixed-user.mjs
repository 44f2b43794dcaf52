// What the two auth-less ceilings answer to "who am I": a constant of the contract's shape, so their
// response bodies weigh what an authenticated stack's do.
const now = new Date().toISOString();
export const FIXED_MERCHANT = 'bench-merchant';
export const FIXED_SESSION_BODY = {
  user: { id: '00000000-0000-4000-8000-000000000001', username: 'bench', role: 'merchant', createdAt: now },
  session: {
    id: 'bench-session-01',
    createdAt: now,
    lastSeenAt: now,
    authenticatedAt: now,
    idleExpiresAt: now,
    absoluteExpiresAt: now,
  },
  csrfToken: 'bench-csrf-token-00000000000000000000000000',
  // Where the user works (API v2, "Shops, members, invitations"): the active shop with the role, and the
  // list. A load user's one shop, as Stockade answers it (the name its sign-up gives: "<username>'s shop").
  shop: { id: '00000000-0000-4000-8000-000000000002', name: "load0's shop", role: 'owner', currency: 'EUR', timezone: 'UTC' },
  shops: [{ id: '00000000-0000-4000-8000-000000000002', name: "load0's shop", role: 'owner' }],
};
