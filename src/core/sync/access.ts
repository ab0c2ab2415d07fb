import type { SpaceState } from '../spaces/space-state.js';

/**
 * Who may read and write a folder, as the space log says (SpaceState.accessOf: roles,
 * per-folder defaults and grants). Every decision about sending or accepting folder data
 * goes through here, on every node, so that a guest's or a reader's node is not trusted to
 * hold back by itself.
 */
export function mayRead(state: SpaceState, folderId: string, deviceId: string): boolean {
  return state.accessOf(folderId, deviceId) !== 'none';
}

export function mayWrite(state: SpaceState, folderId: string, deviceId: string): boolean {
  return state.accessOf(folderId, deviceId) === 'write';
}
