/** The route that starts each of MX's premium jobs on a member. */
export const PREMIUM_JOB_ROUTES = {
  verify: '/members/{member_guid}/verify',
  identify: '/members/{member_guid}/identify',
  extend_history: '/members/{member_guid}/extend_history',
  check_balance: '/members/{member_guid}/check_balance',
} as const;

export type PremiumJob = keyof typeof PREMIUM_JOB_ROUTES;
