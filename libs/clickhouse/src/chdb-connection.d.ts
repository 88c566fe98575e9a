// chdb declares `chdb/connection` through package "exports", which the project's node10 module
// resolution does not read; point the type checker at the same declarations.
declare module 'chdb/connection' {
  export * from 'chdb/dist/connection';
}
