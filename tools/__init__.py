"""Development tools: the brownie launcher, the solc-js shim, a throwaway PostgreSQL server."""
