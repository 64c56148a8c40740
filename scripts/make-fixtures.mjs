// Regenerates fixtures/district-a/inbox/: two monthly periods (2026-09, 2026-10) of the four
// department extracts for a made-up slice of Wuchang District (420106), plus the dibao standards
// and the optional extracts (public-security from 2026-09; human-resources, housing, emergency,
// education and verification from 2026-10).
// Every household is one clear case; fixtures/district-a/README.md says which and why.
// Deterministic: no clock, no unseeded randomness, so a rerun gives byte-identical files.
// Run: node scripts/make-fixtures.mjs            (add --print-ids to list the special ID cases)
//      node scripts/make-fixtures.mjs --out DIR  (write the inbox to DIR instead, e.g. to compare
//                                                 with `diff -r DIR fixtures/district-a/inbox`)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';

const FIXTURE_INBOX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'district-a', 'inbox');
const PERIODS = ['2026-09', '2026-10'];

/** --out DIR: where the inbox is written (default: the fixture's). DIR is replaced as a whole. */
function outDir(argv) {
  const at = argv.indexOf('--out');
  if (at < 0) return FIXTURE_INBOX;
  const dir = argv[at + 1];
  if (!dir || dir.startsWith('--')) throw new Error('--out needs a directory');
  const root = resolve(dir);
  // it is deleted before writing: refuse a folder that holds anything but an inbox of ours
  const ours = new Set(['dibao-standards.csv', ...PERIODS]);
  if (existsSync(root) && readdirSync(root).some((name) => !ours.has(name))) {
    throw new Error(`--out ${root} holds files that are not a fixture inbox: not replacing it`);
  }
  return root;
}

const ROOT = outDir(process.argv);

// ---------------------------------------------------------------------------------------------
// GB 11643 identity numbers

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

function checkDigit(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/** region (6 digits) + yyyymmdd + 3-digit sequence, check digit computed. */
function makeId(region, yyyymmdd, seq) {
  const first17 = `${region}${yyyymmdd}${String(seq).padStart(3, '0')}`;
  if (!/^\d{17}$/.test(first17)) throw new Error(`bad ID parts: ${first17}`);
  return first17 + checkDigit(first17);
}

/** The old 15-digit form: 2-digit year, no check digit (only for people born 19xx). */
function to15(id18) {
  if (id18.slice(6, 8) !== '19') throw new Error(`${id18} cannot have a 15-digit form`);
  return id18.slice(0, 6) + id18.slice(8, 17);
}

const toFullWidth = (s) => s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** Sequence whose last digit carries the sex (odd male, even female) and, if asked, a given check. */
function pickSeq(region, birth, sex, k, wantCheck) {
  for (let i = 0; i < 1000; i++) {
    const base = (k * 37 + i * 13) % 100; // first two digits of the sequence
    const last = sex === 'M' ? [1, 3, 5, 7, 9][(k + i) % 5] : [0, 2, 4, 6, 8][(k + i) % 5];
    const seq = base * 10 + last;
    const id = makeId(region, birth, seq);
    if (wantCheck === undefined ? !id.endsWith('X') : id.endsWith(wantCheck)) return seq;
  }
  throw new Error(`no sequence for ${region}${birth}`);
}

// Seeded PRNG (mulberry32) for phone numbers only.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The district. Ages are at 2026-10-31. Member 0 is the head unless `rel` says otherwise.
// m(name, relation, birth yyyymmdd, sex, employment, extra)

const m = (name, rel, birth, sex, emp, extra = {}) => ({ name, rel, birth, sex, emp, ...extra });

const HOUSEHOLDS = [
  // ---- needy, not covered: "visit" ----
  {
    id: 'WC001', region: '420106001001', hukou: 'urban', assistance: 'none', income: 3000, incomeOnAll: true,
    address: '武汉市武昌区中北路108号,3栋2单元501室',
    members: [
      m('陈建国', 'head', '19740312', 'M', 'unable'),
      m('周秀兰', 'spouse', '19770621', 'F', 'employed'),
      m('陈晓雨', 'child', '20090901', 'F', 'student'),
    ],
  },
  {
    id: 'WC002', region: '420106001002', hukou: 'urban', assistance: 'none', income: 600, incomeOnAll: false,
    address: '武汉市武昌区解放路221号附5号102室',
    members: [m('王桂英', 'head', '19440315', 'F', 'retired')],
  },
  {
    id: 'WC003', region: '420106001001', hukou: 'urban', assistance: 'none', income: 2400, incomeOnAll: false,
    address: '武汉市武昌区和平大道396号,8栋1单元302室',
    members: [
      m('李志强', 'head', '19780520', 'M', 'employed'),
      m('张丽', 'spouse', '19801108', 'F', 'unable'),
      m('李明', 'child', '20060214', 'M', 'unable'),
      m('李婷', 'child', '20110930', 'F', 'student'),
    ],
  },
  {
    id: 'WC004', region: '420106003001', hukou: 'urban', assistance: 'none', income: 1200, incomeOnAll: true,
    address: '武汉市武昌区徐东大街66号5栋704室',
    members: [
      m('刘伟', 'head', '19880125', 'M', 'unemployed'),
      m('赵敏', 'spouse', '19900411', 'F', 'unemployed'),
      m('刘子涵', 'child', '20160518', 'F', 'student'),
      m('刘子轩', 'child', '20200808', 'M', 'student'),
    ],
  },
  {
    id: 'WC005', region: '420106002001', hukou: 'urban', assistance: 'none', income: 1000, incomeOnAll: false,
    address: '武汉市武昌区首义路45号2栋3单元201室',
    members: [
      m('杨秀珍', 'head', '19560210', 'F', 'retired'),
      // check digit X: the roster writes X, health writes x
      m('杨帆', 'child', '19860317', 'M', 'unable', { wantCheck: 'X' }),
    ],
  },
  {
    id: 'WC006', region: '420106003002', hukou: 'urban', assistance: 'none', income: 6000, incomeOnAll: true,
    address: '武汉市武昌区友谊大道303号,12栋1802室',
    p10: { income: 1500, emp: { 0: 'unemployed' } },
    members: [
      m('黄国华', 'head', '19810703', 'M', 'employed'),
      m('吴芳', 'spouse', '19831219', 'F', 'employed'),
      m('黄梓涵', 'child', '20140327', 'M', 'student'),
    ],
  },
  {
    id: 'WC007', region: '420106002002', hukou: 'rural', assistance: 'none', income: 1500, incomeOnAll: false,
    address: '武汉市武昌区白沙洲村四组17号',
    members: [
      m('赵大山', 'head', '19590308', 'M', 'retired'),
      m('钱秀英', 'spouse', '19680914', 'F', 'employed'),
    ],
  },
  // ---- covered: dibao / tekun ----
  {
    id: 'WC008', region: '420106001002', hukou: 'urban', assistance: 'dibao', income: 800, incomeOnAll: true,
    address: '武汉市武昌区粮道街112号1栋104室',
    members: [
      m('孙建平', 'head', '19680422', 'M', 'unable'),
      m('李凤英', 'spouse', '19701005', 'F', 'unable'),
    ],
  },
  {
    id: 'WC009', region: '420106002001', hukou: 'urban', assistance: 'tekun', income: 500, incomeOnAll: false,
    address: '武汉市武昌区民主路78号老年公寓"福寿楼"203室',
    members: [m('周福生', 'head', '19380109', 'M', 'unable')],
  },
  {
    id: 'WC010', region: '420106003001', hukou: 'urban', assistance: 'dibao', income: 1800, incomeOnAll: false,
    address: '武汉市武昌区八一路17号,4栋2单元601室',
    members: [
      m('吴志刚', 'head', '19720816', 'M', 'unable'),
      m('陈桂芳', 'spouse', '19740503', 'F', 'employed'),
      m('吴静', 'child', '20081212', 'F', 'student'),
    ],
  },
  // ---- ordinary: "not listed" ----
  {
    id: 'WC021', region: '420106001001', hukou: 'urban', assistance: 'none', income: 18000, incomeOnAll: false,
    members: [
      m('张浩', 'head', '19880512', 'M', 'employed'),
      m('林静', 'spouse', '19900803', 'F', 'employed'),
      m('张一诺', 'child', '20190420', 'F', 'student'),
    ],
  },
  {
    id: 'WC022', region: '420106001001', hukou: 'urban', assistance: 'none', income: 22000, incomeOnAll: true,
    members: [
      m('王磊', 'head', '19851102', 'M', 'employed'),
      m('陈晨', 'spouse', '19870214', 'F', 'employed'),
      m('王子墨', 'child', '20140909', 'M', 'student'),
    ],
  },
  {
    id: 'WC023', region: '420106001002', hukou: 'urban', assistance: 'none', income: 14000, incomeOnAll: false,
    members: [
      m('李航', 'head', '19950318', 'M', 'employed'),
      m('许婷', 'spouse', '19960721', 'F', 'employed'),
    ],
  },
  {
    id: 'WC024', region: '420106001002', hukou: 'urban', assistance: 'none', income: 8000, incomeOnAll: true,
    members: [
      m('刘建军', 'head', '19580630', 'M', 'retired'),
      m('何淑芬', 'spouse', '19610115', 'F', 'retired'),
    ],
  },
  {
    id: 'WC025', region: '420106002001', hukou: 'urban', assistance: 'none', income: 15000, incomeOnAll: false,
    members: [
      m('陈志明', 'head', '19701008', 'M', 'employed'),
      m('郭玉兰', 'spouse', '19721212', 'F', 'employed'),
      m('陈思远', 'child', '20010505', 'M', 'employed'),
    ],
  },
  {
    id: 'WC026', region: '420106002001', hukou: 'urban', assistance: 'none', income: 10000, incomeOnAll: false,
    members: [
      m('杨勇', 'head', '19780404', 'M', 'employed'),
      m('马丽娟', 'spouse', '19800919', 'F', 'employed'),
      m('杨欣怡', 'child', '20080228', 'F', 'student'),
    ],
  },
  {
    id: 'WC027', region: '420106002002', hukou: 'urban', assistance: 'none', income: 9000, incomeOnAll: true,
    members: [
      m('赵刚', 'head', '19830707', 'M', 'employed'),
      m('罗芳', 'spouse', '19850303', 'F', 'employed'),
      m('赵宇航', 'child', '20121111', 'M', 'student'),
    ],
  },
  {
    id: 'WC028', region: '420106003001', hukou: 'urban', assistance: 'none', income: 30000, incomeOnAll: false,
    members: [
      m('黄俊', 'head', '19800120', 'M', 'employed'),
      m('梁雪', 'spouse', '19820606', 'F', 'employed'),
      m('黄诗涵', 'child', '20101010', 'F', 'student'),
      m('黄诗琪', 'child', '20151201', 'F', 'student'),
    ],
  },
  {
    id: 'WC029', region: '420106003001', hukou: 'urban', assistance: 'none', income: 12000, incomeOnAll: false,
    members: [m('周博', 'head', '19980808', 'M', 'employed')],
  },
  {
    id: 'WC030', region: '420106003002', hukou: 'urban', assistance: 'none', income: 16000, incomeOnAll: false,
    members: [
      m('吴军', 'head', '19840202', 'M', 'employed'),
      m('郑燕', 'spouse', '19860525', 'F', 'employed'),
      // the roster carries this child's number with a wrong check digit: rejected
      m('吴浩然', 'child', '20130315', 'M', 'student', { badCheckInRoster: true }),
    ],
  },
  {
    id: 'WC031', region: '420106003002', hukou: 'urban', assistance: 'none', income: 16000, incomeOnAll: true,
    members: [
      m('徐明', 'head', '19750909', 'M', 'employed'),
      m('孙丽', 'spouse', '19770416', 'F', 'employed'),
      m('徐佳', 'child', '20030618', 'F', 'student'),
    ],
  },
  {
    id: 'WC032', region: '420106001001', hukou: 'urban', assistance: 'none', income: 13000, incomeOnAll: false,
    members: [
      m('胡斌', 'head', '19791225', 'M', 'employed'),
      m('朱红', 'spouse', '19810830', 'F', 'employed'),
      m('胡晓', 'child', '20090109', 'M', 'student'),
    ],
  },
  {
    id: 'WC033', region: '420106001002', hukou: 'urban', assistance: 'none', income: 11000, incomeOnAll: false,
    members: [
      m('高峰', 'head', '19871001', 'M', 'employed'),
      m('林娜', 'spouse', '19891122', 'F', 'employed'),
    ],
  },
  {
    id: 'WC034', region: '420106002001', hukou: 'urban', assistance: 'none', income: 12500, incomeOnAll: false,
    members: [
      m('何伟', 'head', '19760313', 'M', 'employed'),
      m('宋梅', 'spouse', '19780727', 'F', 'employed'),
    ],
  },
  {
    id: 'WC035', region: '420106002002', hukou: 'urban', assistance: 'none', income: 20000, incomeOnAll: false,
    members: [
      m('罗强', 'head', '19820505', 'M', 'employed'),
      m('韩雪', 'spouse', '19841010', 'F', 'employed'),
      // 2026-09 roster row has an empty household_id (rejected); fixed in 2026-10
      m('罗天佑', 'child', '20110701', 'M', 'student', { emptyHouseholdIn: ['2026-09'] }),
    ],
  },
  {
    id: 'WC036', region: '420106003001', hukou: 'urban', assistance: 'none', income: 15000, incomeOnAll: false,
    members: [
      // born in 南城县 under a region code that GB/T 2260 has since retired
      m('谢国平', 'head', '19720616', 'M', 'employed', { idRegion: '362324' }),
      m('曹琳', 'spouse', '19740222', 'F', 'employed'),
    ],
  },
  {
    id: 'WC037', region: '420106003002', hukou: 'urban', assistance: 'none', income: 24000, incomeOnAll: true,
    members: [
      m('唐毅', 'head', '19890929', 'M', 'employed', { idRegion: '110101' }),
      m('冯璐', 'spouse', '19910308', 'F', 'employed'),
    ],
  },
  {
    id: 'WC038', region: '420106001001', hukou: 'urban', assistance: 'none', income: 13500, incomeOnAll: false,
    members: [
      m('董亮', 'head', '19861218', 'M', 'employed', { idRegion: '420111' }),
      m('萧敏', 'spouse', '19880412', 'F', 'employed'),
      m('董可欣', 'child', '20160606', 'F', 'student'),
    ],
  },
  {
    id: 'WC039', region: '420106001002', hukou: 'urban', assistance: 'none', income: 17000, incomeOnAll: false,
    members: [
      m('程刚', 'head', '19731130', 'M', 'employed'),
      m('蔡霞', 'spouse', '19750517', 'F', 'employed'),
      m('程旭', 'child', '20000229', 'M', 'employed'),
    ],
  },
  {
    id: 'WC040', region: '420106002001', hukou: 'urban', assistance: 'none', income: 11000, incomeOnAll: true,
    members: [
      m('袁华', 'head', '19800818', 'M', 'employed'),
      m('邓敏', 'spouse', '19820101', 'F', 'employed'),
      m('袁德福', 'parent', '19520303', 'M', 'retired'),
      m('袁梓萱', 'child', '20140404', 'F', 'student'),
    ],
  },
  {
    id: 'WC041', region: '420106003002', hukou: 'rural', assistance: 'none', income: 10000, incomeOnAll: false,
    members: [
      m('许大伟', 'head', '19770909', 'M', 'employed'),
      m('傅小红', 'spouse', '19791021', 'F', 'employed'),
    ],
  },
  {
    id: 'WC042', region: '420106002002', hukou: 'urban', assistance: 'none', income: 19000, incomeOnAll: false,
    members: [
      m('沈杰', 'head', '19901212', 'M', 'employed'),
      m('曾雯', 'spouse', '19920202', 'F', 'employed'),
      m('沈安', 'child', '20200707', 'M', 'student'),
    ],
  },
  {
    id: 'WC043', region: '420106003001', hukou: 'urban', assistance: 'none', income: 26000, incomeOnAll: false,
    members: [
      m('彭飞', 'head', '19810425', 'M', 'employed'),
      m('吕倩', 'spouse', '19830808', 'F', 'employed'),
    ],
  },
  {
    id: 'WC044', region: '420106001001', hukou: 'urban', assistance: 'none', income: 14000, incomeOnAll: true,
    members: [
      m('苏晨', 'head', '19930616', 'M', 'employed'),
      m('卢佳', 'spouse', '19940927', 'F', 'employed'),
      m('苏小满', 'child', '20210303', 'F', 'student'),
    ],
  },
  {
    id: 'WC045', region: '420106001002', hukou: 'urban', assistance: 'none', income: 21000, incomeOnAll: false,
    members: [
      m('魏东', 'head', '19690119', 'M', 'employed'),
      m('任芳', 'spouse', '19710323', 'F', 'employed'),
      m('魏子健', 'child', '19971010', 'M', 'employed'),
    ],
  },
  {
    id: 'WC046', region: '420106002001', hukou: 'urban', assistance: 'none', income: 12000, incomeOnAll: false,
    members: [
      m('钟磊', 'head', '19870227', 'M', 'employed'),
      m('姜丽', 'spouse', '19881230', 'F', 'employed'),
      m('钟一鸣', 'child', '20150815', 'M', 'student'),
    ],
  },
  {
    id: 'WC047', region: '420106002002', hukou: 'urban', assistance: 'none', income: 15500, incomeOnAll: false,
    members: [
      m('崔浩', 'head', '19840717', 'M', 'employed'),
      m('谭静', 'spouse', '19861026', 'F', 'employed'),
    ],
  },
  {
    id: 'WC048', region: '420106003001', hukou: 'urban', assistance: 'none', income: 9500, incomeOnAll: false,
    members: [
      m('陆明', 'head', '19920515', 'M', 'employed'),
      m('汪璐', 'spouse', '19931108', 'F', 'employed'),
    ],
  },
  {
    id: 'WC049', region: '420106003002', hukou: 'urban', assistance: 'none', income: 28000, incomeOnAll: true,
    members: [
      m('范志刚', 'head', '19790401', 'M', 'employed'),
      m('石慧', 'spouse', '19800621', 'F', 'employed'),
      m('范悦', 'child', '20070312', 'F', 'student'),
    ],
  },
  {
    // moved away: in the 2026-09 roster only, and in no other source
    id: 'WC050', region: '420106001001', hukou: 'urban', assistance: 'none', income: 18000, incomeOnAll: false,
    periods: ['2026-09'],
    members: [
      m('金鑫', 'head', '19910131', 'M', 'employed'),
      m('邱颖', 'spouse', '19920814', 'F', 'employed'),
    ],
  },
  {
    // the roster lists the spouse before the head; income on the head's row only
    id: 'WC051', region: '420106001002', hukou: 'urban', assistance: 'none', income: 13000, incomeOnAll: false,
    spouseFirst: true,
    members: [
      m('田野', 'head', '19850509', 'M', 'employed'),
      m('贾楠', 'spouse', '19870719', 'F', 'employed'),
    ],
  },
  {
    id: 'WC052', region: '420106002001', hukou: 'urban', assistance: 'none', income: 12000, incomeOnAll: false,
    members: [
      m('夏雨', 'head', '19960414', 'F', 'employed'),
      m('夏雷', 'sibling', '19990903', 'M', 'employed'),
    ],
  },
  {
    id: 'WC053', region: '420106003002', hukou: 'urban', assistance: 'none', income: 16000, incomeOnAll: false,
    address: '武汉市武昌区积玉桥万达广场\n东区7栋903室',
    members: [
      m('邵建华', 'head', '19600505', 'M', 'retired'),
      m('方桂芝', 'spouse', '19620808', 'F', 'retired'),
      m('邵明', 'child', '19881010', 'M', 'employed'),
      m('邵小宝', 'grandchild', '20180101', 'M', 'student'),
    ],
  },
  {
    id: 'WC054', region: '420106002002', hukou: 'rural', assistance: 'none', income: 9000, incomeOnAll: false,
    members: [
      m('邹国强', 'head', '19760611', 'M', 'employed'),
      m('韦春花', 'spouse', '19780204', 'F', 'employed'),
      m('邹磊', 'child', '20020820', 'M', 'employed'),
    ],
  },
  // ---- new in 2026-10: a newly registered, needy family ----
  {
    id: 'WC060', region: '420106002002', hukou: 'urban', assistance: 'none', income: 900, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区张之洞路9号,6栋2单元1001室',
    members: [
      m('吴晓燕', 'head', '19920606', 'F', 'unemployed'),
      m('吴佳怡', 'child', '20180909', 'F', 'student'),
      m('吴佳乐', 'child', '20210202', 'M', 'student'),
    ],
  },
  // ---- new in 2026-10, for the departments first delivered then ----
  // Declared with their ID sequence (`seq`) and phone: they take no turn of the sequence picker
  // nor of the phone generator, so every person declared before or after keeps the same number.
  // Roster order as in the extract: the housing/emergency/education households, then the
  // verification ones, then the public-security ones.
  // ---- 住建 / 应急 / 教育 (housing, emergency, education) ----
  {
    // grade-D house (住建) under the dibao line: a reason and housing assistance on the route;
    // its 2025-09 hailstorm (应急) is older than 12 months
    id: 'WC121', region: '420106001001', hukou: 'urban', assistance: 'none', income: 1600, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区粮道街老街17号',
    members: [
      m('邓福生', 'head', '19540317', 'M', 'retired', { seq: 871, phone: '13871230417' }),
      m('蒋桂兰', 'spouse', '19560922', 'F', 'retired', { seq: 882 }),
    ],
  },
  {
    // the 2026-08 flood (应急) registered for head and spouse: the loss counts once; a grade-C
    // house (a repair, no need); the child's row in the education extract is last school year's
    id: 'WC122', region: '420106001002', hukou: 'urban', assistance: 'none', income: 3600, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区白沙洲大道88号,2栋1单元302室',
    members: [
      m('汤志刚', 'head', '19760511', 'M', 'employed', { seq: 893, phone: '15927110386' }),
      m('孔丽萍', 'spouse', '19780203', 'F', 'employed', { seq: 884 }),
      m('汤小雨', 'child', '20120615', 'M', 'student', { seq: 875 }),
    ],
  },
  {
    // edge band (1,100 a person) tipped into expenditure-type hardship by the son's university
    // fees (教育, 8,000); its housing row is dated after the period and its flood loss is "四万": both rejected
    id: 'WC123', region: '420106001001', hukou: 'urban', assistance: 'none', income: 3300, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区徐家棚街和平村3组41号',
    members: [
      m('戴建军', 'head', '19800708', 'M', 'employed', { seq: 861, phone: '18607163524' }),
      m('莫淑芬', 'spouse', '19820419', 'F', 'employed', { seq: 862 }),
      m('戴宇航', 'child', '20070901', 'M', 'student', { seq: 853 }),
    ],
  },
  // ---- 核对 (verification) ----
  {
    // under the dibao line, but two cars and a business (核对): listed, asset check, low confidence
    id: 'WC141', region: '420106001002', hukou: 'urban', assistance: 'none', income: 1500, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区中山路318号,5栋2单元601室',
    members: [
      m('何志伟', 'head', '19810214', 'M', 'employed', { seq: 951, phone: '13986021574' }),
      m('林小红', 'spouse', '19830506', 'F', 'unemployed', { seq: 962 }),
      m('何子豪', 'child', '20120919', 'M', 'student', { seq: 973 }),
    ],
  },
  {
    // roster income 800, but a housing fund of 1,440 a month implies wages of about 6,000
    id: 'WC142', region: '420106001001', hukou: 'urban', assistance: 'none', income: 800, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区紫阳路56号3栋1102室',
    members: [
      m('宋晓峰', 'head', '19880312', 'M', 'employed', { seq: 941, phone: '15172436608' }),
      m('宋欣怡', 'child', '20190701', 'F', 'student', { seq: 952 }),
    ],
  },
  {
    // comfortable, not listed; a car and a property beyond the home: the note on its card
    id: 'WC143', region: '420106001001', hukou: 'urban', assistance: 'none', income: 14000, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区民主路77号9栋501室',
    members: [
      m('罗永红', 'head', '19750823', 'M', 'employed', { seq: 931, phone: '18971553209' }),
      m('高美玲', 'spouse', '19770115', 'F', 'employed', { seq: 942 }),
    ],
  },
  // ---- 公安 (public-security): deaths, a birth, moves ----
  {
    // the main earner, the only able one, died (2026-10-03, sent first as 10-30): income unknown.
    // Income on the two adults' rows, not the child's
    id: 'WC101', region: '420106001001', hukou: 'urban', assistance: 'none', income: 4500, incomeOnAdults: true,
    periods: ['2026-10'],
    address: '武汉市武昌区中北路66号2栋301室',
    members: [
      m('陈志强', 'head', '19810314', 'M', 'employed', { seq: 83, phone: '13807165501' }),
      m('李秀梅', 'spouse', '19830722', 'F', 'unable', { seq: 84 }),
      m('陈小宇', 'child', '20140509', 'M', 'student', { seq: 87 }),
    ],
  },
  {
    // dibao, its only member died 2026-09-20: review, off the list
    id: 'WC102', region: '420106001002', hukou: 'urban', assistance: 'dibao', income: 600, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区解放路88号1栋102室',
    members: [m('赵桂兰', 'head', '19460211', 'F', 'retired', { seq: 88, phone: '13907165502' })],
  },
  {
    // tekun, its only member moved out 2026-10-08: review, off the list. No phone on record
    id: 'WC103', region: '420106001002', hukou: 'urban', assistance: 'tekun', income: 500, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区紫阳路12号4栋201室',
    members: [m('孙德福', 'head', '19501130', 'M', 'unable', { seq: 91 })],
  },
  {
    // a daughter born 2026-10-12, not yet on the roster, joins her mother's household: 3 members
    id: 'WC104', region: '420106001001', hukou: 'urban', assistance: 'none', income: 3150, incomeOnAll: true,
    periods: ['2026-10'],
    address: '武汉市武昌区武珞路301号5栋1102室',
    members: [
      m('刘洋', 'head', '19950418', 'M', 'employed', { seq: 93, phone: '15827165504' }),
      m('王丽', 'spouse', '19970902', 'F', 'employed', { seq: 94 }),
    ],
  },
  {
    // the grandmother died 2026-10-15, not the main earner: 2,400 for 2 members
    id: 'WC105', region: '420106001002', hukou: 'urban', assistance: 'none', income: 2400, incomeOnAll: true,
    periods: ['2026-10'],
    address: '武汉市武昌区首义路20号3栋501室',
    members: [
      m('黄建华', 'head', '19800115', 'M', 'employed', { seq: 97, phone: '13607165505' }),
      m('吴芳', 'spouse', '19820630', 'F', 'employed', { seq: 98 }),
      m('黄秀英', 'parent', '19440303', 'F', 'retired', { seq: 100 }),
    ],
  },
  {
    // the daughter's move out of 2026-09 is withdrawn in 2026-10: still 2 members
    id: 'WC106', region: '420106001001', hukou: 'urban', assistance: 'none', income: 2000, incomeOnAll: true,
    periods: ['2026-10'],
    address: '武汉市武昌区彭刘杨路45号2栋402室',
    members: [
      m('周明', 'head', '19751201', 'M', 'employed', { seq: 103, phone: '18607165506' }),
      m('周婷', 'child', '20050819', 'F', 'student', { seq: 104 }),
    ],
  },
  {
    // dibao; moved out in 2026-09 and back in 2026-10: not flagged as left
    id: 'WC107', region: '420106001002', hukou: 'urban', assistance: 'dibao', income: 800, incomeOnAll: false,
    periods: ['2026-10'],
    address: '武汉市武昌区粮道街17号1栋101室',
    members: [m('郑伟', 'head', '19700214', 'M', 'unable', { seq: 107, phone: '13307165507' })],
  },
  {
    // the spouse moved out in 2026-09 (received then): 1,400 for the one member left
    id: 'WC108', region: '420106001002', hukou: 'urban', assistance: 'none', income: 1400, incomeOnAll: true,
    periods: ['2026-10'],
    address: '武汉市武昌区大成路9号2栋203室',
    members: [
      m('何建', 'head', '19680409', 'M', 'unable', { seq: 111, phone: '13507165508' }),
      m('何丽', 'spouse', '19701221', 'F', 'unable', { seq: 112 }),
    ],
  },
];

// A person the disability federation and health commission know, but civil affairs does not.
const OFF_ROSTER = { key: 'OFF1', ...m('孙长福', 'head', '19481111', 'M', 'unable') };

// ---------------------------------------------------------------------------------------------
// Build people: IDs, phones, addresses

const people = new Map(); // key "WC001.0" -> person
const rand = mulberry32(20261031);
const ROADS = ['中北路', '武珞路', '中山路', '和平大道', '徐东大街', '八一路', '首义路', '民主路', '紫阳路', '中南路'];

let k = 0;
function buildPerson(key, p) {
  const region = p.idRegion ?? '420106';
  const age = ageAt(p.birth, '20261031');
  // a person declared with its `seq` (and phone, empty if not given) takes no turn of k nor of rand
  const declared = p.seq !== undefined;
  if (!declared) k += 1;
  const seq = declared ? p.seq : pickSeq(region, p.birth, p.sex, k, p.wantCheck);
  const id = makeId(region, p.birth, seq);
  if ((Number(id[16]) % 2 === 1) !== (p.sex === 'M')) throw new Error(`${key} ${id}: sequence digit does not match sex ${p.sex}`);
  let phone = declared ? (p.phone ?? '') : '';
  if (!declared && (p.rel === 'head' || (age >= 18 && rand() < 0.6))) {
    phone = ['13', '15', '18'][Math.floor(rand() * 3)];
    for (let i = 0; i < 9; i++) phone += String(Math.floor(rand() * 10));
  }
  const person = { key, ...p, id, age, phone };
  people.set(key, person);
  return person;
}

function ageAt(birth, on) {
  const y = Number(on.slice(0, 4)) - Number(birth.slice(0, 4));
  return on.slice(4) >= birth.slice(4) ? y : y - 1;
}

for (const [hi, h] of HOUSEHOLDS.entries()) {
  h.periods ??= PERIODS;
  if (!h.address) {
    const road = ROADS[hi % ROADS.length];
    const no = 10 + ((hi * 47) % 380);
    const bldg = 1 + ((hi * 5) % 14);
    const room = `${1 + ((hi * 3) % 18)}0${1 + (hi % 4)}`;
    // every third generated address carries an ASCII comma, so it has to be quoted
    h.address = hi % 3 === 0 ? `武汉市武昌区${road}${no}号,${bldg}栋${room}室` : `武汉市武昌区${road}${no}号${bldg}栋${room}室`;
  }
  h.members = h.members.map((p, i) => buildPerson(`${h.id}.${i}`, p));
}
buildPerson(OFF_ROSTER.key, OFF_ROSTER);

const P = (key) => {
  const p = people.get(key);
  if (!p) throw new Error(`unknown person ${key}`);
  return p;
};

// ---------------------------------------------------------------------------------------------
// Disability certificates (full snapshot each month)

const DISABILITY = [
  { who: 'WC003.1', type: 'physical', grade: 2, on: '20150611', idForm: 'old15' },
  { who: 'WC003.2', type: 'intellectual', grade: 1, on: '20120903' },
  { who: 'WC005.1', type: 'mental', grade: 2, on: '20170422' },
  { who: 'WC008.0', type: 'physical', grade: 2, on: '20130718' },
  { who: 'WC026.0', type: 'physical', grade: 4, on: '20180109' },
  // 2026-09 carries the number one digit short (rejected, length); 2026-10 has it right
  { who: 'WC034.0', type: 'hearing', grade: 4, on: '20200312', idFormIn: { '2026-09': 'short17' } },
  { who: 'OFF1', type: 'physical', grade: 1, on: '20190618' },
];

// Diagnoses on record (full snapshot each month)
const HEALTH = [
  { who: 'WC001.0', code: 'C18.7', cat: 'severe', on: '20251008' },
  { who: 'WC002.0', code: 'I10', cat: 'chronic', on: '20180510' },
  { who: 'WC002.0', code: 'E11.9', cat: 'chronic', on: '20201102' },
  { who: 'WC005.1', code: 'F20.0', cat: 'mental', on: '20090715', idForm: 'lowerx' },
  { who: 'WC007.0', code: 'J44.9', cat: 'chronic', on: '20210308' },
  { who: 'WC007.1', code: 'E11.9', cat: 'chronic', on: '20220616', idForm: 'fullwidth' },
  { who: 'WC008.1', code: 'I10', cat: 'chronic', on: '20160420' },
  { who: 'WC009.0', code: 'I10', cat: 'chronic', on: '20100105' },
  { who: 'WC009.0', code: 'I25.1', cat: 'chronic', on: '20150923' },
  { who: 'WC010.0', code: 'I10', cat: 'chronic', on: '20190314' },
  { who: 'WC010.0', code: 'N18.5', cat: 'severe', on: '20261009', periods: ['2026-10'] },
  { who: 'WC025.0', code: 'I10', cat: 'chronic', on: '20170811' },
  { who: 'OFF1', code: 'I69.3', cat: 'chronic', on: '20190530' },
];

// Settled claims. `period` is the extract that carries the row; 2026-09 carries a year of history.
// Amounts: total, fund, assistance (null = empty), out_of_pocket; strings are written verbatim.
const c = (period, claim, who, on, inpatient, total, fund, assist, oop) => ({ period, claim, who, on, inpatient, total, fund, assist, oop });
const CLAIMS = [
  // WC001: colorectal cancer treatment; the 2025-10 claim falls out of the 12-month window in 2026-10
  c('2026-09', 'YB20251020A017', 'WC001.0', '20251020', false, 2000, 1000, null, 1000),
  c('2026-09', 'YB20251112B203', 'WC001.0', '20251112', true, 48000, 33600, null, 14400),
  c('2026-09', 'YB20260108A044', 'WC001.0', '20260108', false, 6000, 3000, null, 3000),
  c('2026-09', 'YB20260322B118', 'WC001.0', '20260322', true, 36000, 25200, null, 10800),
  c('2026-09', 'YB20260615A071', 'WC001.0', '20260615', false, '5000.00', '2487.50', null, '2512.50'),
  c('2026-09', 'YB20260828B090', 'WC001.0', '20260828', true, 20000, 14000, null, 6000),
  c('2026-09', 'YB20251125A032', 'WC053.0', '20251125', false, 700, 490, null, 210),
  c('2026-09', 'YB20251203A051', 'WC025.0', '20251203', false, 800, 560, null, 240),
  c('2026-09', 'YB20260120B012', 'WC009.0', '20260120', true, 15000, 10500, 3000, 1500),
  // out_of_pocket 1800 but 5000 - 3500 - 0 = 1500: kept, flagged
  c('2026-09', 'YB20260214A066', 'WC032.0', '20260214', false, 5000, 3500, 0, 1800),
  c('2026-09', 'YB20260226B027', 'WC005.1', '20260226', true, 12000, 8400, null, 3600),
  c('2026-09', 'YB20260305A083', 'WC002.0', '20260305', false, 1200, 840, null, 360),
  c('2026-09', 'YB20260402A019', 'WC021.1', '20260402', false, 300, 150, null, 150),
  c('2026-09', 'YB20260418A058', 'WC010.0', '20260418', false, 2000, 1400, 400, 200),
  c('2026-09', 'YB20260510A037', 'WC027.0', '20260510', false, 2500, 1500, null, 1000),
  c('2026-09', 'YB20260515A075', 'WC008.1', '20260515', false, 1500, 1050, 300, 150),
  c('2026-09', 'YB20260606A099', 'BADDATE', '20260606', false, 600, 420, null, 180),
  c('2026-09', 'YB20260620A026', 'WC025.0', '20260620', false, 900, 630, null, 270),
  // unparseable total_cost: rejected
  c('2026-09', 'YB20260707A041', 'WC033.0', '20260707', false, '12,3a4', 8000, null, 4334),
  c('2026-09', 'YB20260709A062', 'WC003.2', '20260709', false, 1000, 700, null, 300),
  c('2026-09', 'YB20260811B055', 'WC002.0', '20260811', true, 9000, 7200, null, 1800),
  // sent again in 2026-10 with corrected amounts (out_of_pocket 8000 -> 2000)
  c('2026-09', 'YB20260918B033', 'WC031.0', '20260918', true, 12000, 4000, null, 8000),
  c('2026-10', 'YB20261003A008', 'WC028.0', '20261003', false, 350, 210, null, 140),
  c('2026-10', 'YB20261010A021', 'WC001.0', '20261010', false, 1600, 800, null, 800),
  c('2026-10', 'YB20261015A047', 'WC002.0', '20261015', false, 400, 280, null, 120),
  c('2026-10', 'YB20260918B033', 'WC031.0', '20260918', true, 6000, 4000, null, 2000),
  c('2026-10', 'YB20261020B064', 'WC010.0', '20261020', true, 68000, 45000, 8000, 15000),
];

// A claim under a number whose birth date (1990-02-30) cannot exist; its check digit is right.
const BADDATE_ID = makeId('420106', '19900230', 125);
const BADDATE_NAME = '冯晓东';

// 人社 (human-resources, optional): first delivered in 2026-10; 2026-09 runs without it
const HR_PENSIONER_ID = makeId('420106', '19520708', 137);
const HR_PENSIONER_NAME = '李德明';
const HUMAN_RESOURCES = [
  // WC002's pension is above the roster's 600: the household's income is the pension
  { who: 'WC002.0', registered: false, pension: 1400 },
  // WC007's spouse, "employed" on the roster, has registered unemployed
  { who: 'WC007.1', registered: true, on: '2026-08-17' },
  // WC024's pensions are below its roster income (8,000): the roster's figure stays
  { who: 'WC024.0', registered: false, pension: 4200 },
  // a pensioner on no roster: no household of its own
  { who: 'HR-PENSIONER', registered: false, pension: 2600 },
  // one digit short: rejected (length), no roster person to rescue it to
  { who: 'HR-SHORT', registered: true, on: '2026-03-02' },
];

function humanResourcesRows() {
  return HUMAN_RESOURCES.map((r) => {
    const p = r.who === 'HR-PENSIONER' ? { id: HR_PENSIONER_ID, name: HR_PENSIONER_NAME }
      : r.who === 'HR-SHORT' ? { id: makeId('420106', '19790412', 149).slice(0, 17), name: '郑海涛' }
      : P(r.who);
    return [p.id, p.name, r.registered ? '是' : '否', r.on ?? '', r.pension === undefined ? '' : String(r.pension)];
  });
}

// People the departments below name who are on no roster (they make no household)
const PS_NEWBORN = { id: makeId('420106', '20261012', 2), name: '刘一诺' }; // WC104's daughter
const PS_NEWBORN_NO_PARENT = { id: makeId('420106', '20261020', 5), name: '' }; // a birth sent without name or parent
const PS_DECEASED = { id: makeId('420106', '19390506', 109), name: '钱永福' }; // died on no roster
const HOUSING_OWNER = { id: makeId('420106', '19650101', 845), name: '向东' }; // a grade-B house

/** A roster person by key ("WC101.0"), or one of the off-roster people above as is. */
const who = (w) => (typeof w === 'string' ? P(w) : w);

// 公安 (public-security, optional): population events, a delta; first delivered in 2026-09.
// Values are the bureau's words, written verbatim. `period` is the extract that carries the row.
const ps = (period, w, event, on, extra = {}) => ({ period, who: w, event, on, ...extra });
const PUBLIC_SECURITY = [
  // three moves out in September: WC106's daughter (withdrawn in 2026-10), WC107's head (back in
  // 2026-10), WC108's spouse (for good)
  ps('2026-09', 'WC106.1', '迁出', '2026-09-12'),
  ps('2026-09', 'WC107.0', '迁出', '2026-09-05'),
  ps('2026-09', 'WC108.1', '迁出', '2026-09-25'),
  // WC101's main earner, first with a wrong date; the same death again on the last line replaces it
  ps('2026-10', 'WC101.0', '死亡', '2026-10-30'),
  ps('2026-10', 'WC102.0', '死亡', '2026-09-20'),
  ps('2026-10', 'WC103.0', '迁出', '2026-10-08'),
  ps('2026-10', PS_NEWBORN, '出生', '2026-10-12', { parent: 'WC104.1' }),
  ps('2026-10', 'WC105.2', '死亡', '2026-10-15'),
  ps('2026-10', 'WC106.1', '迁出', '2026-09-12', { cancelled: true }),
  ps('2026-10', 'WC107.0', '迁入', '2026-10-02'),
  // a birth without a parent's ID number: rejected
  ps('2026-10', PS_NEWBORN_NO_PARENT, '出生', '2026-10-20'),
  ps('2026-10', PS_DECEASED, '死亡', '2026-10-11'),
  ps('2026-10', 'WC101.0', '死亡', '2026-10-03'),
];

const PUBLIC_SECURITY_HEADER = ['公民身份号码', '姓名', '事件类型', '事件日期', '父母身份证号', '是否撤销'];

function publicSecurityRows(period) {
  return PUBLIC_SECURITY.filter((r) => r.period === period).map((r) => {
    const p = who(r.who);
    return [p.id, p.name, r.event, r.on, r.parent ? P(r.parent).id : '', r.cancelled ? '是' : ''];
  });
}

// 住建 (housing, optional): dangerous-housing appraisals, a snapshot; first delivered in 2026-10.
// Grades verbatim ('D级', 'D').
const HOUSING = [
  { who: 'WC121.0', grade: 'D级', on: '2026-08-14' },
  // grade C: a repair, not yet a need
  { who: 'WC122.0', grade: 'C级', on: '2025-12-02' },
  // grade B is not dangerous housing: rejected
  { who: HOUSING_OWNER, grade: 'B级', on: '2026-05-20' },
  // appraised after the end of the period: rejected
  { who: 'WC123.0', grade: 'D', on: '2026-11-05' },
];

// 应急 (emergency, optional): disaster-affected people, a delta; first delivered in 2026-10.
// Loss verbatim ('四万' is not an amount: rejected).
const FLOOD = '2026年8月暴雨洪涝';
const EMERGENCY = [
  // WC122's flood, registered for head and spouse: counted once for the household
  { who: 'WC122.0', event: FLOOD, on: '2026-08-09', loss: '40000', damaged: true },
  { who: 'WC122.1', event: FLOOD, on: '2026-08-09', loss: '40000', damaged: true },
  // older than the 12 months
  { who: 'WC121.0', event: '2025年9月风雹', on: '2025-09-12', loss: '3000', damaged: false },
  { who: 'WC123.0', event: FLOOD, on: '2026-08-09', loss: '四万', damaged: true },
];

// 教育 (education, optional): students in non-compulsory education, a snapshot; first delivered in 2026-10
const EDUCATION = [
  // WC123's son at university: 8,000 of fees tips the household into expenditure-type hardship
  { who: 'WC123.2', stage: '本科', year: '2026-2027', fees: 8000 },
  // last school year's row: rejected
  { who: 'WC122.2', stage: '普通高中', year: '2025-2026', fees: 1800 },
];

// 核对 (verification, optional): the centre's latest findings per person, a snapshot; first
// delivered in 2026-10. Empty cells are written empty (= 0 / none).
const v = (w, properties, beyondHome, vehicles, vehicleValue, businesses, role, housingFund) =>
  ({ who: w, properties, beyondHome, vehicles, vehicleValue, businesses, role, housingFund });
const VERIFICATION = [
  // WC141's head on two rows (one per finding): kept once, 2 vehicles and a business
  v('WC141.0', 1, 0, 1, '', 0, '', ''),
  v('WC141.1', 0, 0, 0, '', 0, '', ''),
  v('WC141.0', 0, 0, 1, '', 1, '投资人', ''),
  // housing fund 1,440 a month: wages of about 6,000 against the roster's 800
  v('WC142.0', 0, 0, 0, '', 0, '', 1440),
  v('WC143.0', 2, 1, 1, '5万至15万元', 0, '', 2400),
  // 2 properties beyond the home but 1 held: rejected
  v('WC143.1', 1, 2, 0, '', 0, '', ''),
];

// ---------------------------------------------------------------------------------------------
// Value vocabularies

const ZH = {
  relation: { head: '户主', spouse: '配偶', child: '子女', parent: '父母', grandchild: '孙子女', sibling: '兄弟姐妹', other: '其他' },
  hukou: { urban: '城镇', rural: '农村' },
  assistance: { none: '无', dibao: '低保', tekun: '特困', dibao_edge: '低保边缘', temporary: '临时救助' },
  employment: { employed: '在业', unemployed: '失业', retired: '退休', student: '在校', unable: '无劳动能力' },
  disability: { visual: '视力', hearing: '听力', speech: '言语', physical: '肢体', intellectual: '智力', mental: '精神', multiple: '多重' },
  grade: { 1: '一级', 2: '二级', 3: '三级', 4: '四级' },
  category: { chronic: '慢性病', severe: '重特大疾病', mental: '严重精神障碍' },
};

const isoDate = (d) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
const money = (v) => (v === null ? '' : String(v));

// ---------------------------------------------------------------------------------------------
// CSV writing

function csvField(v) {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvText(header, rows, eol) {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join(eol) + eol;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function encodeFile(text, { encoding, bom }) {
  if (encoding === 'gb18030') return iconv.encode(text, 'gb18030');
  const body = Buffer.from(text, 'utf8');
  return bom ? Buffer.concat([BOM, body]) : body;
}

// ---------------------------------------------------------------------------------------------
// Extracts per period

function rosterRows(period) {
  const rows = [];
  for (const h of HOUSEHOLDS) {
    if (!h.periods.includes(period)) continue;
    const income = period === '2026-10' && h.p10?.income !== undefined ? h.p10.income : h.income;
    const order = h.spouseFirst ? [...h.members].sort((a, b) => (a.rel === 'head') - (b.rel === 'head')) : h.members;
    for (const p of order) {
      const i = h.members.indexOf(p);
      const emp = (period === '2026-10' && h.p10?.emp?.[i]) || p.emp;
      let id = p.id;
      if (p.badCheckInRoster) id = id.slice(0, 17) + CHECK_CHARS[(CHECK_CHARS.indexOf(id[17]) + 1) % 11];
      rows.push({
        household_id: p.emptyHouseholdIn?.includes(period) ? '' : h.id,
        id_number: id,
        name: p.name,
        relation: p.rel,
        region_code: h.region,
        hukou_type: h.hukou,
        assistance: h.assistance,
        monthly_income: p.rel === 'head' || h.incomeOnAll || (h.incomeOnAdults && p.age >= 18) ? String(income) : '',
        employment: emp,
        address: h.address,
        phone: p.phone,
      });
    }
  }
  return rows;
}

function disabilityRows(period) {
  return DISABILITY.map((d) => {
    const p = P(d.who);
    const form = d.idFormIn?.[period] ?? d.idForm;
    let id = p.id;
    if (form === 'old15') id = to15(p.id);
    if (form === 'short17') id = p.id.slice(0, 17);
    return { id, name: p.name, type: d.type, grade: d.grade, on: d.on };
  });
}

function healthRows(period) {
  return HEALTH.filter((r) => !r.periods || r.periods.includes(period)).map((r) => {
    const p = P(r.who);
    let id = p.id;
    if (r.idForm === 'lowerx') id = id.toLowerCase();
    if (r.idForm === 'fullwidth') id = toFullWidth(id);
    return { id, name: p.name, code: r.code, cat: r.cat, on: r.on };
  });
}

function claimRows(period) {
  return CLAIMS.filter((r) => r.period === period).map((r) => {
    const p = r.who === 'BADDATE' ? { id: BADDATE_ID, name: BADDATE_NAME } : P(r.who);
    return { ...r, id: p.id, name: p.name };
  });
}

const FILES = {
  '2026-09': {
    'civil-affairs.csv': {
      encoding: 'gb18030', bom: false, eol: '\r\n', manifestEncoding: 'gb18030',
      build: () => {
        const header = ['户编号', '身份证号', '姓名', '与户主关系', '区划代码', '户籍性质', '救助类型', '家庭月收入', '就业状况', '住址', '联系电话'];
        const rows = rosterRows('2026-09').map((r) => [
          r.household_id, r.id_number, r.name, ZH.relation[r.relation], r.region_code, ZH.hukou[r.hukou_type],
          ZH.assistance[r.assistance], r.monthly_income, ZH.employment[r.employment], r.address, r.phone,
        ]);
        return [header, rows];
      },
    },
    'disability.csv': {
      encoding: 'utf-8', bom: false, eol: '\n', manifestEncoding: 'utf-8',
      build: () => {
        // 备注 is a column the contract does not know: ignored, reported once
        const header = ['身份证号', '姓名', '残疾类别', '残疾等级', '发证日期', '备注'];
        const rows = disabilityRows('2026-09').map((r, i) => [
          r.id, r.name, ZH.disability[r.type], ZH.grade[r.grade], r.on, i === 0 ? '换证中,旧证号' : '',
        ]);
        return [header, rows];
      },
    },
    'medical-insurance.csv': {
      encoding: 'utf-8', bom: true, eol: '\n',
      build: () => {
        const header = ['claim_id', 'id_number', 'name', 'settled_on', 'inpatient', 'total_cost', 'fund_paid', 'assistance_paid', 'out_of_pocket'];
        const rows = claimRows('2026-09').map((r, i) => [
          r.claim,
          r.id,
          r.name,
          i % 3 === 2 ? r.on : isoDate(r.on),
          i % 4 === 3 ? (r.inpatient ? 'Y' : 'N') : r.inpatient ? '1' : '0',
          money(r.total), money(r.fund), money(r.assist), money(r.oop),
        ]);
        return [header, rows];
      },
    },
    'health.csv': {
      encoding: 'utf-8', bom: false, eol: '\r\n',
      build: () => {
        const header = [' ID_Number ', 'Name', 'DIAGNOSIS_CODE', ' Category', 'Recorded_On '];
        const rows = healthRows('2026-09').map((r) => [r.id, r.name, r.code, r.cat, r.on]);
        return [header, rows];
      },
    },
    'public-security.csv': {
      encoding: 'utf-8', bom: false, eol: '\n', manifestEncoding: 'utf-8',
      build: () => [PUBLIC_SECURITY_HEADER, publicSecurityRows('2026-09')],
    },
  },
  '2026-10': {
    'civil-affairs.csv': {
      encoding: 'utf-8', bom: true, eol: '\n',
      build: () => {
        const cols = ['id_number', 'name', 'household_id', 'relation', 'phone', 'address', 'region_code', 'hukou_type', 'employment', 'monthly_income', 'assistance'];
        const rows = rosterRows('2026-10').map((r) => cols.map((col) => r[col]));
        return [cols, rows];
      },
    },
    'disability.csv': {
      encoding: 'utf-8', bom: true, eol: '\n', manifestEncoding: 'utf-8',
      build: () => {
        const header = ['id_number', 'name', 'disability_type', 'disability_grade', 'certified_on'];
        const rows = disabilityRows('2026-10').map((r) => [r.id, r.name, r.type, String(r.grade), isoDate(r.on)]);
        return [header, rows];
      },
    },
    'medical-insurance.csv': {
      encoding: 'utf-8', bom: false, eol: '\r\n', manifestEncoding: 'utf-8',
      build: () => {
        const header = ['claim_id', 'settled_on', 'id_number', 'name', 'inpatient', 'total_cost', 'fund_paid', 'assistance_paid', 'out_of_pocket'];
        const rows = claimRows('2026-10').map((r, i) => [
          r.claim,
          r.on,
          r.id,
          r.name,
          i % 2 === 0 ? String(r.inpatient) : r.inpatient ? '是' : '否',
          money(r.total), money(r.fund), money(r.assist), money(r.oop),
        ]);
        return [header, rows];
      },
    },
    'health.csv': {
      encoding: 'utf-8', bom: false, eol: '\n',
      build: () => {
        const header = ['id_number', 'name', 'diagnosis_code', 'category', 'recorded_on'];
        const rows = healthRows('2026-10').map((r) => [r.id, r.name, r.code, ZH.category[r.cat], isoDate(r.on)]);
        return [header, rows];
      },
    },
    'human-resources.csv': {
      encoding: 'utf-8', bom: false, eol: '\n',
      build: () => [['身份证号', '姓名', '登记失业', '失业登记日期', '养老金月领取额'], humanResourcesRows()],
    },
    'housing.csv': {
      encoding: 'utf-8', bom: false, eol: '\n',
      build: () => [
        ['身份证号', '姓名', '鉴定等级', '鉴定日期'],
        HOUSING.map((r) => [who(r.who).id, who(r.who).name, r.grade, r.on]),
      ],
    },
    'emergency.csv': {
      encoding: 'utf-8', bom: false, eol: '\n', manifestEncoding: 'utf-8',
      build: () => [
        ['id_number', 'name', 'event', 'event_date', 'loss', 'house_damaged'],
        EMERGENCY.map((r) => [P(r.who).id, P(r.who).name, r.event, r.on, r.loss, r.damaged ? '是' : '否']),
      ],
    },
    'education.csv': {
      encoding: 'utf-8', bom: false, eol: '\n',
      build: () => [
        ['身份证号', '姓名', '学段', '学年', '已缴学杂费'],
        EDUCATION.map((r) => [P(r.who).id, P(r.who).name, r.stage, r.year, String(r.fees)]),
      ],
    },
    'verification.csv': {
      encoding: 'utf-8', bom: false, eol: '\n',
      build: () => [
        ['身份证号', '姓名', '房产套数', '住房以外房产套数', '机动车数量', '车辆价值区间', '工商登记数量', '工商登记身份', '住房公积金月缴存额'],
        VERIFICATION.map((r) => [
          P(r.who).id, P(r.who).name, r.properties, r.beyondHome, r.vehicles, r.vehicleValue, r.businesses, r.role, r.housingFund,
        ].map(String)),
      ],
    },
    'public-security.csv': {
      encoding: 'utf-8', bom: false, eol: '\n', manifestEncoding: 'utf-8',
      build: () => [PUBLIC_SECURITY_HEADER, publicSecurityRows('2026-10')],
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Write

function write(path, bytes) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

rmSync(ROOT, { recursive: true, force: true });

write(
  join(ROOT, 'dibao-standards.csv'),
  Buffer.from(
    csvText(
      ['region_code', 'hukou_type', 'effective_from', 'monthly_standard'],
      [
        ['420106', 'urban', '2025-01', '1000'],
        ['420106', 'rural', '2025-01', '850'],
        ['420106', 'urban', '2026-07', '1050'],
        ['420106002', 'rural', '2025-01', '900'],
      ],
      '\n',
    ),
    'utf8',
  ),
);

for (const period of PERIODS) {
  const manifest = { files: {} };
  for (const [name, spec] of Object.entries(FILES[period])) {
    const [header, rows] = spec.build();
    const bytes = encodeFile(csvText(header, rows, spec.eol), spec);
    write(join(ROOT, period, name), bytes);
    const entry = { sha256: createHash('sha256').update(bytes).digest('hex'), rows: rows.length };
    if (spec.manifestEncoding) entry.encoding = spec.manifestEncoding;
    manifest.files[name] = entry;
  }
  write(join(ROOT, period, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
}

if (process.argv.includes('--print-ids')) {
  for (const h of HOUSEHOLDS) {
    for (const p of h.members) console.log([h.id, p.rel, p.name, p.id, p.age, p.sex].join('\t'));
  }
  console.log(['(off roster)', '', OFF_ROSTER.name, P('OFF1').id, P('OFF1').age, 'M'].join('\t'));
  console.log(['(bad date)', '', BADDATE_NAME, BADDATE_ID].join('\t'));
  console.log(['(human-resources only)', '', HR_PENSIONER_NAME, HR_PENSIONER_ID].join('\t'));
  console.log(['(public-security only)', '', PS_NEWBORN.name, PS_NEWBORN.id].join('\t'));
  console.log(['(public-security only)', '', '(no name)', PS_NEWBORN_NO_PARENT.id].join('\t'));
  console.log(['(public-security only)', '', PS_DECEASED.name, PS_DECEASED.id].join('\t'));
  console.log(['(housing only)', '', HOUSING_OWNER.name, HOUSING_OWNER.id].join('\t'));
}
console.log(`fixtures written to ${ROOT}`);
