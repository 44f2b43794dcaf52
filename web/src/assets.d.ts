/** Vite's `?url` imports: the URL of a file Vite copies into the build's assets (hashed name, same origin). */
declare module '*?url' {
  const url: string;
  export default url;
}
