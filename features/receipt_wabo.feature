# language: zh-CN
功能: WABO 收件阶段（荷兰环境许可，CoSeLoG 真实事件日志）

  # 每个案件自带期限（日志的 case:deadline，事件 data.deadline）; 主线环节 7 个自然日。

  场景: 收件确认超过七个自然日且案件超过自带期限
    假如 规则集 "rules/receipt_wabo.wz"
    而且 事件如下:
      | 编号 | 案件  | 类型     | 时间             | 事项    | 人员       | 环节                    | 数据                |
      | r1   | 26554 | 收件     | 2011-01-03 09:00 | receipt | Resource01 |                         | deadline=2011-01-20 |
      | r2   | 26554 | 环节开始 | 2011-01-03 09:30 | receipt | Resource01 | Confirmation of receipt |                     |
      | r3   | 26554 | 环节办结 | 2011-01-12 11:00 | receipt | Resource01 | Confirmation of receipt |                     |
      | r4   | 26554 | 决定     | 2011-01-25 10:00 | receipt | Resource02 |                         |                     |
    当 评估日期为 2011-12-31
    那么 问责决定如下:
      | 案件  | 人员       | 违规         | 处分     | 环节                    |
      | 26554 | Resource01 | 环节超时     | 记录在案 | Confirmation of receipt |
      | 26554 | Resource01 | 超过案件期限 | 记录在案 |                         |

  场景: 在自带期限内办结的收件不记录
    假如 规则集 "rules/receipt_wabo.wz"
    而且 事件如下:
      | 编号 | 案件  | 类型     | 时间             | 事项    | 人员       | 环节                    | 数据                |
      | r1   | 26555 | 收件     | 2011-01-03 09:00 | receipt | Resource01 |                         | deadline=2011-01-20 |
      | r2   | 26555 | 环节开始 | 2011-01-03 09:30 | receipt | Resource01 | Confirmation of receipt |                     |
      | r3   | 26555 | 环节办结 | 2011-01-10 11:00 | receipt | Resource01 | Confirmation of receipt |                     |
      | r4   | 26555 | 决定     | 2011-01-20 10:00 | receipt | Resource02 |                         |                     |
    当 评估日期为 2011-12-31
    那么 没有问责决定
