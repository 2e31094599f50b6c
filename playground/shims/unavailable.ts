/**
 * Browser stand-in for the Node.js modules ts-morph imports but does not use with its in-memory
 * file system (the only one `emit-ts` gives it): any call is a bug, and says so.
 */
const unavailable = new Proxy({}, {
  get(_, name) {
    if (name === 'EOL') return '\n';
    if (name === '__esModule' || name === 'default' || typeof name === 'symbol') return undefined;
    return () => { throw new Error(`internal error (a bug in the attnc playground): ts-morph called a Node.js function (${String(name)})`); };
  },
});
export default unavailable;
