import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';

const atBottom = () => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 150;

/**
 * Keeps the newest message in view as messages arrive (`last` is the newest one's id), unless the
 * reader scrolled up to read older ones. The function returned says whether to follow from now on.
 */
export function useFollowBottom(last: string | undefined): (on: boolean) => void {
  const follow = useRef(true);
  useEffect(() => {
    const onScroll = () => (follow.current = atBottom());
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useLayoutEffect(() => {
    if (last && follow.current) window.scrollTo({ top: document.documentElement.scrollHeight });
  }, [last]);
  return useCallback((on: boolean) => {
    follow.current = on;
  }, []);
}
