/** IAM's StringLike: `*` matches any run of characters (`?` is not used in our patterns). */
export const matchesPattern = (value: string, pattern: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);
