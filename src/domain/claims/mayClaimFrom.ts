import { canAccessScope } from '../principal.js';
import type { Principal } from '../principal.js';
import type { Scope } from '../scope.js';

/** Whether a claimer may take tasks from a hub of this scope: claims and the claimable counts both ask here. */
export const mayClaimFrom = (claimer: Principal, hubScope: Scope): boolean => canAccessScope(claimer, hubScope);
