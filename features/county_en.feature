Feature: Jiange county efficiency rules (an English rulebook extending the statutory base)

  # planning_permit: promised 10 working days, statutory 20; accepted 2024-03-01 → promise 2024-03-15.

  Scenario: Promise broken on a planning permit, the handler and the deputy answer
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at               | item            | actor | post                 | unit           |
      | e1 | E1   | accepted | 2024-03-01 09:00 | planning_permit | Li    |                      | housing_bureau |
      | e2 | E1   | decided  | 2024-03-20 10:00 | planning_permit | Chen  | housing_window_chief |                |
    When evaluated as of 2024-03-29
    Then the decisions are:
      | case | person | post           | violation      | sanction | role          | basis       |
      | E1   | Li     |                | promise_broken | 效能告诫 | direct        | jiange_2009 |
      | E1   |        | housing_deputy | promise_broken | 效能告诫 | deputy_leader | jiange_2009 |

  Scenario: A decision on the last promised day breaks no promise
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at               | item            | actor | post                 | unit           |
      | e1 | E2   | accepted | 2024-03-01 09:00 | planning_permit | Li    |                      | housing_bureau |
      | e2 | E2   | decided  | 2024-03-15 10:00 | planning_permit | Chen  | housing_window_chief |                |
    When evaluated as of 2024-03-29
    Then there are no decisions

  Scenario: The B post decides while the window chief is at work
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at               | item            | actor | post             | unit           |
      | e1 | E3   | accepted | 2024-03-01 09:00 | planning_permit | Li    |                  | housing_bureau |
      | e2 | E3   | decided  | 2024-03-06 10:00 | planning_permit | Wang  | housing_window_b |                |
    When evaluated as of 2024-03-29
    Then the decisions are:
      | case | person | post             | violation          | sanction |
      | E3   | Wang   | housing_window_b | A岗在岗B岗越权代理 | 效能告诫 |
    And there is no decision for "Li"

  Scenario: A land notice at 80 per cent of the promised time
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at               | item               | actor | unit        |
      | e1 | E4   | accepted | 2024-03-01 09:00 | temporary_land_use | Zhao  | land_bureau |
    When evaluated as of 2024-03-15
    Then the warnings are:
      | case | level  |
      | E4   | notice |
    And there are no decisions

  # joint_construction_approval: intake, site_plan and land_check, then the joint_review countersign
  # (reply within 5 working days), then final_decision.

  Scenario: The land bureau dissents in the joint review without giving reasons
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id  | case | type                  | at               | item                 | actor | post                 | unit           | step           | data             |
      | p1  | E5   | accepted              | 2024-03-01 09:00 | construction_project | Zhou  | front_desk           |                |                |                  |
      | p2  | E5   | step_started          | 2024-03-01 09:10 | construction_project | Zhou  | front_desk           |                | intake         |                  |
      | p3  | E5   | step_completed        | 2024-03-01 15:00 | construction_project | Zhou  | front_desk           |                | intake         |                  |
      | p4  | E5   | step_started          | 2024-03-04 09:00 | construction_project | Chen  | housing_window_chief |                | site_plan      |                  |
      | p5  | E5   | step_completed        | 2024-03-08 15:00 | construction_project | Chen  | housing_window_chief |                | site_plan      |                  |
      | p6  | E5   | step_started          | 2024-03-04 09:00 | construction_project | Sun   |                      | land_bureau    | land_check     |                  |
      | p7  | E5   | step_completed        | 2024-03-08 15:00 | construction_project | Sun   |                      | land_bureau    | land_check     |                  |
      | p8  | E5   | countersign_requested | 2024-03-11 09:00 | construction_project | Zhou  | front_desk           |                | joint_review   |                  |
      | p9  | E5   | countersign_replied   | 2024-03-12 09:00 | construction_project | Chen  |                      | housing_bureau | joint_review   | opinion=agree    |
      | p10 | E5   | countersign_replied   | 2024-03-13 09:00 | construction_project | Sun   |                      | land_bureau    | joint_review   | opinion=disagree |
      | p11 | E5   | step_started          | 2024-03-14 09:00 | construction_project | Chen  | housing_window_chief |                | final_decision |                  |
      | p12 | E5   | step_completed        | 2024-03-15 15:00 | construction_project | Chen  | housing_window_chief |                | final_decision |                  |
      | p13 | E5   | decided               | 2024-03-15 16:00 | construction_project | Chen  | housing_window_chief |                |                | outcome=approved |
    When evaluated as of 2024-03-29
    Then the decisions are:
      | case | person | unit        | violation                           | sanction | subject                  |
      | E5   | Sun    | land_bureau | countersign_dissent_without_reasons | 效能告诫 | joint_review/land_bureau |

  Scenario: A dissent with reasons is a proper answer
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id  | case | type                  | at               | item                 | actor | post                 | unit           | step         | data                                     |
      | p1  | E6   | accepted              | 2024-03-01 09:00 | construction_project | Zhou  | front_desk           |                |              |                                          |
      | p2  | E6   | step_started          | 2024-03-01 09:10 | construction_project | Zhou  | front_desk           |                | intake       |                                          |
      | p3  | E6   | step_completed        | 2024-03-01 15:00 | construction_project | Zhou  | front_desk           |                | intake       |                                          |
      | p4  | E6   | step_started          | 2024-03-04 09:00 | construction_project | Chen  | housing_window_chief |                | site_plan    |                                          |
      | p5  | E6   | step_completed        | 2024-03-08 15:00 | construction_project | Chen  | housing_window_chief |                | site_plan    |                                          |
      | p6  | E6   | step_started          | 2024-03-04 09:00 | construction_project | Sun   |                      | land_bureau    | land_check   |                                          |
      | p7  | E6   | step_completed        | 2024-03-08 15:00 | construction_project | Sun   |                      | land_bureau    | land_check   |                                          |
      | p8  | E6   | countersign_requested | 2024-03-11 09:00 | construction_project | Zhou  | front_desk           |                | joint_review |                                          |
      | p9  | E6   | countersign_replied   | 2024-03-12 09:00 | construction_project | Chen  |                      | housing_bureau | joint_review | opinion=agree                            |
      | p10 | E6   | countersign_replied   | 2024-03-13 09:00 | construction_project | Sun   |                      | land_bureau    | joint_review | opinion=disagree; reasons=basic farmland |
      | p11 | E6   | decided               | 2024-03-15 16:00 | construction_project | Chen  | housing_window_chief |                |              | outcome=refused; reasons=land refused    |
    When evaluated as of 2024-03-29
    Then there are no decisions

  # art. 9: on-time rate at least 99 % per quarter for the housing and land bureaus.

  Scenario: The land bureau misses its quarterly on-time rate
    # land_bureau names no deputy leader: the deputy leader's decisions name the unit and say so
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at               | item               | actor | post          | unit        | data                   |
      | a1 | Q7   | accepted | 2024-01-08 09:00 | temporary_land_use | Zhao  |               | land_bureau |                        |
      | a2 | Q7   | decided  | 2024-01-30 16:00 | temporary_land_use | Qian  | land_director |             | circumstances=不可抗力 |
      | b1 | Q8   | accepted | 2024-01-09 09:00 | temporary_land_use | Zhao  |               | land_bureau |                        |
      | b2 | Q8   | decided  | 2024-01-09 16:00 | temporary_land_use | Qian  | land_director |             |                        |
    When evaluated as of 2024-04-30
    Then the metrics are:
      | unit        | period  | metric       | value |
      | land_bureau | 2024-Q1 | on_time_rate | 50%   |
    And the decisions are:
      | case | person | post          | unit        | violation           | missing                                                             |
      | Q7   | Zhao   |               | land_bureau | promise_broken      |                                                                     |
      | Q7   |        |               | land_bureau | promise_broken      | deputy leader: unit 「land_bureau」 and the post name no deputy leader |
      |      | Qian   | land_director | land_bureau | on_time_rate_missed |                                                                     |
      |      |        |               | land_bureau | on_time_rate_missed | deputy leader: unit 「land_bureau」 and the post name no deputy leader |
    And there is no decision for "Sun"

  Scenario: English sanction and role labels in an English feature
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at               | item               | actor | post          | unit        | data                   |
      | a1 | Q9   | accepted | 2024-01-08 09:00 | temporary_land_use | Zhao  |               | land_bureau |                        |
      | a2 | Q9   | decided  | 2024-01-30 16:00 | temporary_land_use | Qian  | land_director |             | circumstances=不可抗力 |
      | b1 | Q10  | accepted | 2024-01-09 09:00 | temporary_land_use | Zhao  |               | land_bureau |                        |
      | b2 | Q10  | decided  | 2024-01-09 16:00 | temporary_land_use | Qian  | land_director |             |                        |
    When evaluated as of 2024-04-30
    Then the metrics are:
      | unit        | period  | metric       | value |
      | land_bureau | 2024-Q1 | on_time_rate | 50%   |
    And the decisions are:
      | case | person | post          | violation           | sanction | role          |
      | Q9   | Zhao   |               | promise_broken      | exempt   | direct        |
      | Q9   |        |               | promise_broken      | exempt   | deputy_leader |
      |      | Qian   | land_director | on_time_rate_missed | 效能告诫 | direct        |
      |      |        |               | on_time_rate_missed | 效能告诫 | deputy_leader |

  Scenario: The English rulebook checks clean
    Given the rulebook "rules/county_en.wz"
    When the rulebook is checked
    Then there are no errors

  Scenario: A violation naming an undeclared ladder is refused
    Given the rulebook:
      """
      rulebook broken_county basis 「行政许可法」 "第七十四条" {
        version "2024.1"
        effective 2024-01-01
        extends "statutory_base.wz"
      }

      violation late basis 「行政许可法」 "第七十四条第三项" {
        on case
        when days_over_statutory > 0
        responsible direct
        ladder no_such_ladder
      }
      """
    When the rulebook is checked
    Then error WZ101 is reported at line 11

  Scenario: A second broken promise within twelve months gets a circular
    Given the rulebook "rules/county_en.wz"
    And "Li" was sanctioned before:
      | date       | sanction | unit           |
      | 2023-11-20 | 效能告诫 | housing_bureau |
    And the events:
      | id | case | type     | at               | item            | actor | post                 | unit           |
      | e1 | E9   | accepted | 2024-03-01 09:00 | planning_permit | Li    |                      | housing_bureau |
      | e2 | E9   | decided  | 2024-03-20 10:00 | planning_permit | Chen  | housing_window_chief |                |
    When evaluated as of 2024-03-29
    Then the decisions are:
      | case | person | post           | violation      | sanction | role          |
      | E9   | Li     |                | promise_broken | 通报批评 | direct        |
      | E9   |        | housing_deputy | promise_broken | 效能告诫 | deputy_leader |
    And there is no decision for "Chen"
