import { type residentEn } from './messages.en.ts';

/** 业主门户：简体中文。 */
export const residentZhCN: Record<keyof typeof residentEn, string> = {
  'resident.units.subtitle': '您拥有、租住或居住的房屋。',
  'resident.units.empty': '您的账号尚未关联房屋，请联系物业服务中心。',
  'resident.units.title': '{number} 室',
  'resident.units.floor': '楼层',
  'resident.units.area': '面积',
  'resident.units.layout': '户型',
  'resident.units.status': '状态',
  'resident.units.people': '登记人员',
  'resident.units.report': '报事报修',

  'resident.requests.subtitle': '您的报事及处理进度，状态自动更新。',
  'resident.requests.new': '新建报事',
  'resident.requests.empty': '您还没有报事记录。',
  'resident.new.unit': '房屋',
  'resident.new.urgency': '紧急程度',
  'resident.new.where': '房内位置',
  'resident.new.description': '问题描述',
  'resident.new.submit': '提交报事',

  'resident.rating.title': '您的评价',
  'resident.rating.ask': '您对本次服务满意吗？',
  'resident.rating.comment': '留言（可选）',
  'resident.rating.submit': '提交评价',
  'resident.rating.thanks': '感谢您的评价。',
  'resident.rating.later': '报事关闭后即可评价服务。',
  'resident.rating.rejected': '该报事已被驳回，原因见处理记录。',
  'resident.rating.score.1': '非常不满意',
  'resident.rating.score.2': '不满意',
  'resident.rating.score.3': '一般',
  'resident.rating.score.4': '满意',
  'resident.rating.score.5': '非常满意',
};
