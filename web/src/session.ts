import { createContext, useContext } from "react";
import type { Me } from "./api/types";

/** The signed-in account, once loaded (null before). */
export const MeContext = createContext<Me | null>(null);

export function useMe(): Me | null {
  return useContext(MeContext);
}
