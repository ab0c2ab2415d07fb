import type { SpaceState } from '../spaces/space-state.js';

/**
 * Who may read and write a folder. For now by role alone: admins and members read and write
 * every folder; guests and keepers get none (per-folder grants come with the permissions
 * work). Every decision about sending or accepting folder data goes through here.
 */
export function mayRead(state: SpaceState, _folderId: string, deviceId: string): boolean {
  const role = state.roleOf(deviceId);
  return role === 'admin' || role === 'member';
}

export function mayWrite(state: SpaceState, folderId: string, deviceId: string): boolean {
  return mayRead(state, folderId, deviceId);
}
