/** Whether a Content-Type names JSON: `application/json` or any `application/…+json`, with or without parameters. */
export const isJsonMediaType = (type: string): boolean => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
