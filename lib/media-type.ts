/** Whether a Content-Type names JSON, `+json` types included. */
export const isJsonMediaType = (type: string): boolean => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
