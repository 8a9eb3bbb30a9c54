// Small line icons drawn inline (no icon font, nothing for the Content-Security-Policy to allow); decorative, so the
// button or link around each says what it does.
const Paths = {
  comment: "M4 5h16v11H9l-5 4z",
  repost: "M7 7h10l-3-3M17 17H7l3 3M17 7v5M7 17v-5",
  heart: "M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.5-7 10-7 10z",
  bookmark: "M6 4h12v16l-6-4-6 4z",
} as const;

export function Icon({ name, filled = false }: { name: keyof typeof Paths; filled?: boolean }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false"
      fill={filled ? "currentColor" : "none"} stroke="currentColor" strokeWidth="2" strokeLinejoin="round" strokeLinecap="round">
      <path d={Paths[name]} />
    </svg>
  );
}
