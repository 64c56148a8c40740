import type { DepartmentId } from '../ingest/department.js';
import { department } from '../ingest/departments.js';

/**
 * What the synthetic city is made of: the districts and streets of a Chinese city (Wuhan's
 * codes), names, roads, diagnoses, and how each department writes its values in English and
 * in Chinese. Plain data; the generator decides who gets what.
 */

/** the city's districts: 6-digit code, and whether its outer streets are villages (rural hukou) */
export const COUNTIES: readonly (readonly [code: string, name: string, rural: boolean])[] = [
  ['420106', '武昌区', false],
  ['420102', '江岸区', false],
  ['420103', '江汉区', false],
  ['420104', '硚口区', false],
  ['420105', '汉阳区', false],
  ['420107', '青山区', false],
  ['420111', '洪山区', false],
  ['420112', '东西湖区', true],
  ['420113', '汉南区', true],
  ['420114', '蔡甸区', true],
  ['420115', '江夏区', true],
  ['420116', '黄陂区', true],
  ['420117', '新洲区', true],
];

/**
 * Where people were born (the ID number's prefix): mostly the city, some from the province and
 * the rest of the country, and a few under a code retired since (429001, Suizhou before 2000),
 * which stays valid for the people born under it.
 */
export const BIRTH_REGIONS: readonly (readonly [string, number])[] = [
  ...COUNTIES.map(([code]) => [code, 6] as const),
  ['421002', 4], ['420902', 3], ['421102', 3], ['422802', 2], ['110101', 1], ['440106', 1], ['510104', 1], ['429001', 1],
];

export const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
export const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文海燕辉鹏飞宇浩俊峰婷雪梅琳晨欣怡子涵梓轩佳琪思源'];
export const ROADS = ['中山路', '和平大道', '友谊路', '建设大道', '解放路', '民主路', '胜利街', '新华路', '武珞路', '黄鹤楼路', '珞喻路', '光谷大道'];

export const DIAGNOSES = {
  chronic: ['I10', 'E11.9', 'J44.9', 'I25.1', 'N18.3', 'M17.9', 'E78.5', 'I50.9'],
  severe: ['C18.7', 'C34.9', 'N18.5', 'C50.9', 'I63.9', 'C16.9', 'D61.9'],
  mental: ['F20.0', 'F31.9', 'F25.0', 'F06.8'],
} as const;

export const DISABILITY_TYPES: readonly (readonly [string, number])[] = [
  ['physical', 45], ['visual', 12], ['hearing', 14], ['speech', 2], ['intellectual', 10], ['mental', 10], ['multiple', 7],
];

export type Lang = 'en' | 'zh';

/** the contract's code lists in the words the departments use */
export const ZH: Record<string, string> = {
  // relation
  head: '户主', spouse: '配偶', child: '子女', parent: '父母', grandchild: '孙子女', sibling: '兄弟姐妹', other: '其他',
  // hukou
  urban: '城镇', rural: '农村',
  // assistance
  none: '无', dibao: '低保', tekun: '特困', dibao_edge: '低保边缘', temporary: '临时救助',
  // employment
  employed: '在业', unemployed: '失业', retired: '退休', student: '在校', unable: '无劳动能力',
  // population events (public-security)
  death: '死亡', birth: '出生', move_out: '迁出', move_in: '迁入',
  // disability type
  physical: '肢体', visual: '视力', hearing: '听力', speech: '言语', intellectual: '智力', mental: '精神', multiple: '多重',
  // diagnosis category
  chronic: '慢性病', severe: '重特大疾病',
};
/** 严重精神障碍 is the category; 精神 (above) the disability type */
export const CATEGORY_ZH: Record<string, string> = { chronic: '慢性病', severe: '重特大疾病', mental: '严重精神障碍' };
export const GRADE_ZH = ['一级', '二级', '三级', '四级'] as const;

/**
 * A department's header as the city's files write it, from its declaration (the registry): the
 * contract's English names, or each column's first Chinese header.
 */
export function headersOf(source: DepartmentId, lang: Lang): string[] {
  return department(source).columns.map((c) => (lang === 'en' ? c.name : c.headers[0]!));
}

/** Another way a department heads the same columns: capitalised and padded English, or 身份证号码. */
export function headerVariant(header: readonly string[], lang: Lang): string[] {
  return lang === 'en'
    ? header.map((h) => ` ${h.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('_')} `)
    : header.map((h) => (h === '身份证号' ? '身份证号码' : h));
}

/** how a file writes yes/no: each department keeps one habit */
export const BOOLEANS: readonly (readonly [string, string])[] = [['1', '0'], ['Y', 'N'], ['true', 'false']];
