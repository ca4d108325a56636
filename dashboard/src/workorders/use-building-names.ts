import { useMemo } from 'react';
import { fetchEstate } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';

/** Building id → name from the estate (ids stand in until it has loaded, or if it fails). */
export function useBuildingNames(): { names: Map<string, string>; ids: string[]; label: (id: string | null) => string | null } {
  const estate = usePolled('estate', fetchEstate, 0);
  return useMemo(() => {
    const names = new Map((estate.data?.buildings ?? []).map((b) => [b.id, b.name]));
    return { names, ids: [...names.keys()], label: (id: string | null) => (id === null ? null : (names.get(id) ?? id)) };
  }, [estate.data]);
}
