import { type SimUser, hasUseCase } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxEndpoint, MxReply, MxRequest } from './mx-endpoint.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/**
 * MX answers some GETs with 403 unless the members involved have PFM, without a surviving list of which (reference
 * §5). The simulator's reading: beats and spending plans are PFM products, so their endpoints need a PFM member.
 */
export function pfmEndpoint(state: SimulatorState, handle: (request: MxRequest, user: SimUser) => MxReply): MxEndpoint {
  return userEndpoint(state, (request, user) => {
    const hasPfmMember = state.members.membersOf(user).some((member) => hasUseCase(member, 'PFM'));
    if (!hasPfmMember) throw new MxError(403, 'No member of this user has the PFM use case.');
    return handle(request, user);
  });
}
