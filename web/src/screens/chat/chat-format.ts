/** A message's time: the hour today, the day and hour before. */
export function messageTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now).toDateString() === d.toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return today ? time : `${d.toLocaleDateString([], { day: 'numeric', month: 'short', year: new Date(now).getFullYear() === d.getFullYear() ? undefined : 'numeric' })} ${time}`;
}
