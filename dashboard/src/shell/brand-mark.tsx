/** The shield mark; decorative, the product name is always written next to it. */
export function BrandMark({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <path d="M16 2 4 7v8c0 7.4 5.1 13.6 12 15 6.9-1.4 12-7.6 12-15V7z" fill="#22324a" />
      <path d="M16 6.2 8 9.5v5.6c0 5 3.4 9.3 8 10.5 4.6-1.2 8-5.5 8-10.5V9.5z" fill="#1f9d55" />
      <path d="m12 16 3 3 5.5-6" fill="none" stroke="#fff" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
