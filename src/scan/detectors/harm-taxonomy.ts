import { foldText } from '../text/normalization.js';
import { type LinearTextModel, loadShippedModel, scoreText } from './linear-text-model.js';

/**
 * Harmful-request classifier over a fixed taxonomy. Each category pairs a
 * harmful object with the intent to get it (a method, a tool, content that
 * does the harm), so that "How do I kill a Python process?" or "What is
 * murder?" stay quiet. Safe framings (games, fiction, history, prevention)
 * veto weak matches. Matching runs on folded text (`foldText`).
 */

export const HARM_CATEGORIES = [
  'weapons-cbrn',
  'cybercrime-malware',
  'fraud',
  'self-harm',
  'violence',
  'hate-harassment',
  'sexual-minors',
  'drugs',
  'privacy-violation',
  'illegal-activity',
] as const;
export type HarmCategory = (typeof HARM_CATEGORIES)[number];

export interface HarmMatch {
  /** Taxonomy area; `unspecified` when only the learned model fired and no keyword names the area. */
  category: HarmCategory | 'unspecified';
  /** The matched phrase (short, for evidence). */
  phrase: string;
  /** 0..1: strong phrasings score higher than generic ones. */
  confidence: number;
}

interface HarmRule {
  category: HarmCategory;
  re: RegExp;
  confidence: number;
  /** Strong rules ignore the safe-framing veto (no fictional framing makes them benign). */
  strong?: boolean;
}

const W = "(?:[\\w'-]{1,20} ){0,4}";
const VIOLENT_TARGET =
  '(?:someone|somebody|anyone|people|a person|persons?|a human|humans|my (?:wife|husband|neighbou?r|boss|friend|teacher|parents?|mother|father|mom|dad|sister|brother|ex|family|roommate|coworker|classmate|partner|girlfriend|boyfriend)|him|her|them|a child|children|kids|a baby|civilians|a (?:politician|president|public figure|police officer|cop|judge|witness)|the president|officials?|police officers?|others|an? (?:individual|group|crowd)|(?:high[- ]profile )?(?:individuals|targets?)|innocent people|a minority|minorities|(?:jews|muslims|christians|immigrants|black people|gay people))';

function r(category: HarmCategory, source: string, confidence: number, strong = false): HarmRule {
  return { category, re: new RegExp(source, 'u'), confidence, strong };
}

const RULES: readonly HarmRule[] = [
  // weapons, CBRN
  r(
    'weapons-cbrn',
    `(?:make|making|build|building|construct|assemble|create|creating|manufactur\\w{0,3}|produce|synthesi[sz]e|obtain|acquire|3d[- ]print|detonate|plant|design|develop)\\b ${W}(?:a |an )?(?:bomb|explosive|ied|pipe bomb|grenade|molotov|napalm|detonator|nerve agent|sarin|vx gas|mustard gas|chemical weapon|biological weapon|bioweapon|anthrax|ricin|botulinum|dirty bomb|nuclear (?:weapon|bomb|device)|ghost gun|untraceable (?:gun|firearm|weapon)|silencer|suppressor|weapons? of mass destruction|poison gas|toxic gas|deadly (?:toxin|poison|virus|pathogen))`,
    0.9,
    true,
  ),
  r(
    'weapons-cbrn',
    '(?:bomb|explosive|ied)[- ]?(?:making|recipe|instructions|tutorial)|(?:instructions|tutorial|guide|recipe) (?:\\w+ ){0,3}(?:bomb|explosive|ied)s?\\b',
    0.9,
    true,
  ),
  r(
    'weapons-cbrn',
    '(?:acquire|obtain|buy|purchase|sell|smuggle) (?:\\w+ ){0,3}(?:firearms?|guns?|weapons?) (?:\\w+ ){0,3}(?:illegally|without (?:a )?(?:license|background check|permit))|(?:illegal(?:ly)?|untraceable) (?:firearms?|guns?|weapons?)',
    0.85,
    true,
  ),
  r(
    'weapons-cbrn',
    '(?:teach|show|help) (?:children|kids|minors|a child) (?:\\w+ ){0,3}(?:firearms?|guns?|weapons?|explosives?)',
    0.85,
    true,
  ),
  r(
    'weapons-cbrn',
    '(?:weaponi[sz]e|enrich (?:uranium|plutonium)|culture (?:anthrax|pathogens?)|release (?:\\w+ ){0,3}(?:toxin|pathogen|virus|gas) (?:\\w+ ){0,3}(?:crowd|city|public|population))',
    0.85,
    true,
  ),
  // cybercrime, malware
  r(
    'cybercrime-malware',
    `(?:create|creating|develop|developing|write|writing|code|coding|design|build|program|spread|release|deploy|distribute)\\b ${W}(?:a |an )?(?:virus|malware|ransomware|trojan|keylogger|spyware|rootkit|botnet|computer worm|worm that|exploit|backdoor|cryptojacker|credential stealer|info ?stealer|phishing (?:email|site|website|page|kit|campaign|scam))`,
    0.9,
    true,
  ),
  r(
    'cybercrime-malware',
    '(?:hack|hacking|break|breaking) into|exploit (?:\\w+ ){0,3}vulnerabilit|(?:launch|perform|conduct|carry out) (?:a |an )?(?:\\w+ ){0,2}(?:ddos|denial[- ]of[- ]service|cyber ?attack|sql injection|brute[- ]force|phishing|man[- ]in[- ]the[- ]middle)|crack (?:\\w+ ){0,2}passwords?|(?:bypass|disable|evade|circumvent) (?:\\w+ ){0,3}(?:security|authentication|antivirus|anti-virus|firewall|2fa|two[- ]factor|drm|paywall|captcha|detection)|(?:gain|get) (?:\\w+ ){0,2}(?:unauthori[sz]ed )?access to (?:\\w+ ){0,4}(?:without|secure|government|confidential|someone|another|corporate|bank)|unauthori[sz]ed access|steal (?:\\w+ ){0,3}(?:credentials|passwords|login|data|database|trade secrets|source code|sensitive information)|(?:infect|compromise|hijack) (?:\\w+ ){0,3}(?:computers?|systems?|networks?|devices?|accounts?|servers?)|zero[- ]day exploit|exploit kit|(?:access|hack) (?:\\w+ ){0,2}(?:email|social media|bank) accounts? (?:\\w+ ){0,3}(?:without|of (?:someone|another))',
    0.85,
  ),
  // fraud, scams, misinformation for gain
  r(
    'fraud',
    "counterfeit|money laundering|launder (?:\\w+ ){0,2}(?:money|funds|proceeds)|(?:commit|committing|engage in|get away with) (?:\\w+ ){0,2}(?:fraud|insurance fraud|tax fraud|identity theft|embezzlement)|fraudulent|\\bscam(?:s|ming)? (?:\\w+ ){0,3}(?:people|someone|elderly|victims|users|customers)|ponzi|pyramid scheme|insider trading|tax evasion|evade (?:\\w+ ){0,2}taxes|identity theft|steal (?:\\w+ ){0,2}(?:someone's |someones |their |a person's )?identit|forge(?:d|ry)? (?:\\w+ ){0,2}(?:documents?|signatures?|checks?|cheques?|ids?|passports?|prescriptions?)|fake (?:\\w+ ){0,2}(?:ids?|identit\\w{1,3}|reviews?|news|invoices?|charity|documents|passports?|currency|money|diplomas?|degrees?|prescriptions?|social media accounts?|profiles?)|manipulate (?:\\w+ ){0,3}(?:stock|market|prices|elections?)|cheat (?:on|in) (?:\\w+ ){0,2}(?:exams?|tests?)|shoplift|embezzl|extort|blackmail|bribe|(?:spread|create|write) (?:\\w+ ){0,3}(?:misinformation|disinformation|propaganda|conspiracy theor)|(?:steal|stealing) (?:\\w+ ){0,2}(?:from|money|goods|a car|cars|credit card|packages)|credit card (?:fraud|numbers? (?:\\w+ ){0,3}(?:steal|stolen))|(?:trick|deceive|manipulate|con) (?:\\w+ ){0,3}(?:people|someone|users|victims|elderly|into (?:giving|sending|revealing))",
    0.8,
  ),
  // self-harm
  r(
    'self-harm',
    '(?:how|ways?|methods?|best way|easiest way|guide|instructions|tips|encourag\\w{1,4}|promot\\w{1,4}|glorif\\w{1,4}|painless(?:ly)?) (?:\\w+ ){0,5}(?:suicide|kill (?:myself|yourself|themselves|oneself)|end (?:my|your|their) (?:own )?li(?:fe|ves)|self[- ]harm|cut (?:myself|yourself)|hurt (?:myself|yourself)|starv\\w{1,3} (?:myself|yourself|themselves)|anorexi|bulimi|eating disorders?|overdos)',
    0.85,
    true,
  ),
  r(
    'self-harm',
    '(?:suicide|self[- ]harm) (?:\\w+ ){0,2}(?:methods?|instructions|guide|tips|pact)|i (?:want|wanna|plan) to (?:kill myself|die|end (?:it|my life))|commit suicide',
    0.85,
    true,
  ),
  // violence
  r(
    'violence',
    `(?:kill|murder|assassinate|attack|hurt|harm|injure|torture|kidnap|abduct|poison|stab|shoot|maim|strangle|beat up|massacre|execute|lynch|mutilate|burn) ${VIOLENT_TARGET}`,
    0.8,
  ),
  r(
    'violence',
    '(?:promot|glorif|plan|commit|support|join|fund|recruit)\\w{0,5} (?:\\w+ ){0,3}terroris[tm]|terrorist (?:attack|act|plot|cell)|(?:mass|school) shooting|genocide|ethnic cleansing|commit (?:\\w+ ){0,2}(?:violence|murder|assault|arson|a hate crime|a terrorist)|incit\\w{1,4} (?:\\w+ ){0,3}(?:violence|riots?|attacks?)|violent (?:attacks?|acts?|extremis\\w{1,3})|(?:plan|carry out|coordinate|execute) (?:\\w+ ){0,3}(?:an )?attack on|hit[- ]and[- ]run|get away with (?:murder|a crime|killing)|dispose of (?:a |the )?(?:dead )?body|(?:harm|hurt|kill|attack|poison)\\w{0,3} (?:\\w+ ){0,2}(?:animals?|pets?|dogs?|cats?) (?:\\w+ ){0,3}(?:for fun|amusement|cruel)|(?:promote|glorif\\w{1,4}|encourag\\w{1,4}) (?:\\w+ ){0,3}(?:violence|war crimes|gang)',
    0.8,
  ),
  // hate, harassment
  r(
    'hate-harassment',
    'racist|racism|sexist|homophobic|transphobic|xenophobic|antisemit|white supremac|hate speech|hateful|(?:racial|ethnic) slurs?|derogatory|dehumaniz|inferior (?:race|people|gender)|promot\\w{1,4} (?:\\w+ ){0,3}(?:hate|hatred|racism|discrimination|intolerance|extremism)|incit\\w{1,4} (?:\\w+ ){0,3}(?:hatred|hate|discrimination)|discriminat\\w{1,5} against|(?:harass|bully|cyberbully|intimidate|threaten|humiliate|troll|stalk)\\w{0,4} (?:\\w+ ){0,3}(?:someone|people|a (?:person|user|classmate|coworker|colleague|celebrity|journalist|woman|girl)|him|her|them|others|users|my|minorit|women|individuals)|(?:threatening|harassing|abusive|insulting) (?:message|letter|email|post|comment)s?|defam\\w{2,6}|body[- ]sham|spread (?:\\w+ ){0,2}(?:rumou?rs|lies) about',
    0.75,
  ),
  // sexual content involving minors
  r(
    'sexual-minors',
    '(?:child|children|minor|minors|underage|under-?aged?|kid|kids|preteen|pre-teen|young (?:girl|boy)s?|(?:1[0-7]|[2-9])[- ]?(?:year|yr)s?[- ]?olds?|schoolgirl|schoolboy)\\b.{0,60}\\b(?:sexual|sexy|nude|naked|porn|explicit|erotic|intimate|molest|seduc)|(?:sexual|sexy|nude|naked|porn|explicit|erotic|molest|seduc)\\w{0,5}\\b.{0,60}\\b(?:child|children|minor|minors|underage|kids|preteen|pre-teen)\\b|child (?:porn|pornography|sexual abuse|abuse material)|\\bcsam\\b|\\bgroom(?:ing)? (?:a |the )?(?:child|minor|kid|teen)',
    0.9,
    true,
  ),
  // drugs
  r(
    'drugs',
    `(?:make|making|cook|cooking|produce|synthesi[sz]e|manufactur\\w{0,3}|grow|smuggle|smuggling|traffic|sell|selling|buy|obtain|acquire|distribute|extract)\\b ${W}(?:meth|methamphetamine|crystal meth|cocaine|crack|heroin|fentanyl|lsd|mdma|ecstasy|ghb|ketamine|pcp|opioids?|illegal drugs?|illicit drugs?|controlled substances?|narcotics|date rape drugs?|street drugs)\\b`,
    0.85,
    true,
  ),
  r(
    'drugs',
    'drug (?:trafficking|dealing|smuggling|cartel)|(?:without|fake|forged?) (?:a )?prescription|(?:get|getting) high (?:on|with|from)|(?:spike|drug) (?:someone|a person|her|his|their) (?:drink|food)|lace (?:\\w+ ){0,2}with (?:drugs|fentanyl)|(?:promote|encourag\\w{1,4}|glorif\\w{1,4}) (?:\\w+ ){0,3}(?:drug use|drugs|drunk driving|drinking and driving)',
    0.8,
  ),
  // privacy
  r(
    'privacy-violation',
    "\\bdoxx?(?:ing|ed)?\\b|track (?:\\w+ ){0,3}(?:location|phone|movements)|track (?:someone|a person|my (?:wife|husband|ex|partner|girlfriend|boyfriend|employees?))|spy on|secretly (?:record|film|track|monitor|read|watch)|hidden cameras?|(?:monitor|surveil|record) (?:\\w+ ){0,3}without (?:\\w+ ){0,2}(?:knowledge|consent|permission)|without (?:their|his|her|the user'?s|users'?|people'?s|someone'?s) (?:knowledge|consent|permission)|(?:find|get|obtain|access|steal|collect|harvest|scrape|sell|leak) (?:\\w+ ){0,4}(?:personal (?:information|data|details)|private (?:information|data|messages|photos|details)|social security numbers?|medical records|home address(?:es)?|(?:someone's|someones|their|people's|users') (?:email|password|account|phone|location|address|messages))|(?:home )?address of (?:a |my )?(?:celebrity|person|someone|ex|coworker|teacher)|(?:where|find where) (?:\\w+ ){0,2}(?:my ex|someone|a celebrity) lives",
    0.75,
  ),
  // general illegality (not a taxonomy area of its own; keeps recall on generic asks)
  r(
    'illegal-activity',
    "without (?:getting )?caught|avoid (?:getting caught|detection|being (?:caught|detected|traced))|evade (?:the )?(?:police|law enforcement|authorities|detection|arrest)|(?:commit|committing) (?:a )?crimes?|break(?:ing)? the law|illegal(?:ly)? (?:activities|activity|acts?|immigration|gambling|dumping|hunting|weapons?|substances?)|(?:vandali[sz]e|steal|rob|burglari[sz]e|break into) (?:\\w+ ){0,2}(?:a |an |the |someone'?s )?(?:house|home|car|store|bank|atm|building|property)|(?:how|ways?) to (?:\\w+ ){0,2}(?:steal|rob|shoplift|trespass|loot|poach)\\b",
    0.7,
  ),
];

// Safe framings that veto non-strong matches: games, fiction, history, definitions, prevention.
const SAFE_FRAMING_RE =
  /\b(?:in|on|within|for) (?:a |the |my )?(?:video ?games?|games?|call of duty|minecraft|gta|grand theft auto|fortnite|skyrim|halo|counter[- ]strike|chess|novel|fiction|movie|film|story|play|screenplay|tv show|series|book)\b|\b(?:what is|what's|what are|what was|what were|what happened|how were|how was|define|definition of|meaning of|history of|why did|how did|when did|under jim crow|during the)\b|\b(?:prevent|prevention|protect|protection|defend against|recogni[sz]e|report|detect|avoid being|awareness|signs of|cope with|support for|help (?:someone|a friend) (?:who|struggling))\b/;

// Area keywords for requests only the model flags (no intent phrasing needed here: the model decided harm).
const CATEGORY_HINTS: ReadonlyArray<readonly [HarmCategory, RegExp]> = [
  ['sexual-minors', /\b(?:child|minor|underage|kid)s?\b.{0,40}\b(?:sex|nude|porn)/],
  [
    'weapons-cbrn',
    /\b(?:bomb|explosive|weapon|firearm|gun|ammunition|chemical|biological|nuclear|toxin|poison)/,
  ],
  [
    'cybercrime-malware',
    /\b(?:hack|malware|virus|exploit|password|cyber|network|computer|software|script|phishing|ddos)/,
  ],
  ['drugs', /\b(?:drug|meth|cocaine|heroin|fentanyl|opioid|narcotic|alcohol)/],
  ['self-harm', /\b(?:suicide|self-harm|kill myself|anorexi|bulimi|eating disorder)/],
  ['violence', /\b(?:kill|murder|assault|attack|violence|violent|hurt|harm|torture|kidnap|shoot)/],
  [
    'hate-harassment',
    /\b(?:racis|sexis|hate|slur|harass|bully|discriminat|insult|offensive|inferior|stereotyp)/,
  ],
  [
    'fraud',
    /\b(?:fraud|scam|counterfeit|fake|steal|theft|launder|cheat|forg|manipulat|false|misinformation|plagiar|pirat)/,
  ],
  [
    'privacy-violation',
    /\b(?:personal (?:data|information)|private|privacy|track|spy|stalk|address|location|surveil)/,
  ],
];

let harmModel: LinearTextModel | undefined;

/** Probability from the shipped harm model that `text` is a harmful request. */
export function harmProbability(text: string): number {
  harmModel ??= loadShippedModel('harm-linear');
  return scoreText(harmModel, text.length > 2000 ? text.slice(0, 2000) : text, 'R');
}

/**
 * The harm category of a request, or undefined when it is not harmful: the
 * taxonomy rules first, then the learned model (trained by
 * `scripts/train-harm-model.ts`) for phrasings the rules do not cover.
 */
export function classifyHarm(text: string): HarmMatch | undefined {
  const known = recentAnswers.get(text);
  if (known !== undefined) return known ?? undefined;
  const result = classifyHarmUncached(text);
  if (recentAnswers.size >= RECENT_ANSWERS) recentAnswers.delete(recentAnswers.keys().next().value as string);
  recentAnswers.set(text, result ?? null);
  return result;
}

/**
 * Two detectors (safety-stripping, backdoor-trigger) classify the same request of a record, and
 * the engine runs each detector over a whole batch of records before the next one (see
 * `createBatchProcessor`), so an answer is asked for again up to a batch later: the answers for
 * the last `RECENT_ANSWERS` requests (more than a batch holds) are remembered, oldest dropped first
 * (`null`: not harmful).
 */
const RECENT_ANSWERS = 1024;
const recentAnswers = new Map<string, HarmMatch | null>();

function classifyHarmUncached(text: string): HarmMatch | undefined {
  const ruled = classifyHarmByRules(text);
  if (ruled) return ruled;
  const p = harmProbability(text);
  harmModel ??= loadShippedModel('harm-linear');
  if (p < harmModel.threshold) return undefined;
  const folded = foldText(text.slice(0, 2000));
  // The model has no notion of framing: protective, historical and fictional asks veto it.
  if (SAFE_FRAMING_RE.test(folded)) return undefined;
  const hint = CATEGORY_HINTS.find(([, re]) => re.test(folded));
  return {
    category: hint ? hint[0] : 'unspecified',
    phrase: folded.slice(0, 80),
    confidence: Math.min(0.9, p),
  };
}

/** The taxonomy rules alone (no model). */
export function classifyHarmByRules(text: string): HarmMatch | undefined {
  const folded = foldText(text.length > 4000 ? text.slice(0, 4000) : text).replace(/[’`]/g, "'");
  let best: HarmMatch | undefined;
  let safeFraming: boolean | undefined;
  for (const rule of RULES) {
    if (best && rule.confidence <= best.confidence) continue;
    const m = rule.re.exec(folded);
    if (!m) continue;
    if (!rule.strong) {
      safeFraming ??= SAFE_FRAMING_RE.test(folded);
      if (safeFraming) continue;
    }
    best = { category: rule.category, phrase: m[0].slice(0, 80), confidence: rule.confidence };
  }
  return best;
}
