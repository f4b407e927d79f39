/**
 * Faker locales, loaded one at a time (all of faker's locales together cost about 40 MB in every
 * thread): `loadLocale` before compiling a schema, then `loadedLocale` synchronously.
 */
import type { Faker } from '@faker-js/faker'
import { LOCALE_NAME } from '../../shared/schema.ts'

const loaded = new Map<string, Faker>()

/** Loads a faker locale (`en`, `de`, `pt_BR`, ...); false when faker has no such locale. */
export async function loadLocale(locale: string): Promise<boolean> {
  if (loaded.has(locale)) return true
  if (!LOCALE_NAME.test(locale)) return false
  try {
    const module = (await import(`@faker-js/faker/locale/${locale}`)) as { faker?: Faker }
    if (!module.faker) return false
    loaded.set(locale, module.faker)
    return true
  }
  catch {
    return false
  }
}

/** A loaded locale's own faker instance (its definitions and class), or undefined. */
export function loadedLocale(locale: string): Faker | undefined {
  return loaded.get(locale)
}
