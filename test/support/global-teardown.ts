export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__DYNALITE__;
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}
