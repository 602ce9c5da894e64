import { badInput } from './errors.js';
import { echo } from './textLimits.js';

/**
 * A scope is `org-campaign-project`: everything a user can see belongs to exactly one. An identity holds
 * scope *patterns*, where any part may be `*` (`acme-*-*` is every campaign and project of acme).
 */

export interface Scope {
  org: string;
  campaign: string;
  project: string;
}

export type ScopePattern = Scope;

const maxPartLength = 64;
const part = new RegExp(`^[A-Za-z0-9_]{1,${maxPartLength}}$`);

function split(text: string, allowWildcards: boolean): Scope {
  const parts = text.split('-');
  const ok = parts.length === 3 && parts.every((p) => part.test(p) || (allowWildcards && p === '*'));
  if (!ok) {
    const form = allowWildcards ? 'ORG-CAMPAIGN-PROJECT (a part may be *)' : 'ORG-CAMPAIGN-PROJECT';
    throw badInput(`"${echo(text)}" is not a scope: expected ${form}, each part 1 to ${maxPartLength} letters, digits or _`, {
      scope: echo(text),
    });
  }
  const [org, campaign, project] = parts as [string, string, string];
  return { org, campaign, project };
}

export const parseScope = (text: string): Scope => split(text, false);
export const parseScopePattern = (text: string): ScopePattern => split(text, true);

export const formatScope = (scope: Scope): string => `${scope.org}-${scope.campaign}-${scope.project}`;

export function scopeMatches(pattern: ScopePattern, scope: Scope): boolean {
  return (
    (pattern.org === '*' || pattern.org === scope.org) &&
    (pattern.campaign === '*' || pattern.campaign === scope.campaign) &&
    (pattern.project === '*' || pattern.project === scope.project)
  );
}
