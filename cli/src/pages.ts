/** Long admin operations answer a page at a time with `nextCursor` and `done`; this runs them to the end. */
export interface Page {
  nextCursor?: string | null;
  done: boolean;
}

export async function drain<P extends Page>(
  step: (cursor?: string) => Promise<P>,
  onPage: (page: P, pages: P[]) => void,
): Promise<P[]> {
  const pages: P[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await step(cursor);
    pages.push(page);
    onPage(page, pages);
    if (page.done || !page.nextCursor || page.nextCursor === cursor) return pages;
    cursor = page.nextCursor;
  }
}

export function sum<P>(pages: P[], key: keyof P): number {
  return pages.reduce((n, p) => n + (Number(p[key]) || 0), 0);
}
