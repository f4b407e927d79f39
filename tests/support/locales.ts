// Unit tests compile schemas directly, so the locales they use are loaded first (workers load theirs).
import { loadLocale } from '~~/engine/schema/locales'

await Promise.all(['en', 'de'].map(loadLocale))
