import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` serves the client with hot reload and hands /api, /hubs and /media to a running host
// (ORLEANSSOCIAL_API, default the `./build.sh run` address).
const api = process.env.ORLEANSSOCIAL_API ?? "http://localhost:5080";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  server: {
    proxy: {
      "/api": api,
      "/media": api,
      "/hubs": { target: api, ws: true },
    },
  },
  test: { environment: "node" },
});
