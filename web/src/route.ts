import { useEffect, useState } from 'react';

/**
 * Screens live in the address's hash (#/space/ID/folder/ID?path=dir), so reloading or
 * bookmarking keeps the place and the node needs no server-side routes for the app.
 */
export type Route =
  | { screen: 'home' }
  | { screen: 'join'; code: string }
  | { screen: 'space'; spaceId: string; tab: string }
  | { screen: 'folder'; spaceId: string; folderId: string; path: string }
  /** A space's chat; `channel` is a channel id, `@memberId` for a direct conversation, or '' (the list, or general). */
  | { screen: 'chat'; spaceId: string; channel: string }
  | { screen: 'activity' }
  | { screen: 'settings' };

export function parseRoute(hash: string): Route {
  const [pathPart = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(search);
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third, fourth] = parts;
  if (first === 'space' && second && third === 'folder' && fourth) return { screen: 'folder', spaceId: second, folderId: fourth, path: params.get('path') ?? '' };
  if (first === 'space' && second && third === 'chat') return { screen: 'chat', spaceId: second, channel: fourth ?? '' };
  if (first === 'space' && second) return { screen: 'space', spaceId: second, tab: third ?? 'folders' };
  if (first === 'join') return { screen: 'join', code: params.get('code') ?? '' };
  if (first === 'activity') return { screen: 'activity' };
  if (first === 'settings') return { screen: 'settings' };
  return { screen: 'home' };
}

export function href(route: Route): string {
  switch (route.screen) {
    case 'home':
      return '#/';
    case 'join':
      return route.code ? `#/join?code=${encodeURIComponent(route.code)}` : '#/join';
    case 'space':
      return `#/space/${encodeURIComponent(route.spaceId)}/${route.tab}`;
    case 'folder':
      return `#/space/${encodeURIComponent(route.spaceId)}/folder/${encodeURIComponent(route.folderId)}${route.path ? `?path=${encodeURIComponent(route.path)}` : ''}`;
    case 'chat':
      return `#/space/${encodeURIComponent(route.spaceId)}/chat${route.channel ? `/${encodeURIComponent(route.channel)}` : ''}`;
    case 'activity':
      return '#/activity';
    case 'settings':
      return '#/settings';
  }
}

export function navigate(route: Route): void {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
