// Reading a cookie the API made readable on purpose (the CSRF token).

/** The value of cookie `name` in a `document.cookie` string, or null. */
export function cookieValue(cookies: string, name: string): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export function readCookie(name: string): string | null {
  return typeof document === "undefined" ? null : cookieValue(document.cookie, name);
}
