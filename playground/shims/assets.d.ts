/** The package files the compiler reads at run time (templates/, profiles/), embedded by scripts/build-playground.ts. */
declare module 'attnc:assets' {
  const assets: Readonly<Record<string, string>>;
  export default assets;
}
