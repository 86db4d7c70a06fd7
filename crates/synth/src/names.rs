//! Made-up place and person names in the style of Chongqing's (no real person is named;
//! institution names follow the common patterns), and the districts grids are named after.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// Districts of Chongqing's main city the grids are named after: (name, GB/T 2260 code,
/// lon, lat of the district's centre).
pub(crate) const DISTRICTS: [(&str, &str, f64, f64); 9] = [
    ("渝中区", "500103", 106.568, 29.553),
    ("大渡口区", "500104", 106.482, 29.481),
    ("江北区", "500105", 106.574, 29.606),
    ("沙坪坝区", "500106", 106.457, 29.541),
    ("九龙坡区", "500107", 106.511, 29.502),
    ("南岸区", "500108", 106.644, 29.500),
    ("北碚区", "500109", 106.440, 29.826),
    ("渝北区", "500112", 106.631, 29.718),
    ("巴南区", "500113", 106.541, 29.402),
];

/// The city's own division code, for city-level institutions.
pub(crate) const CITY_DIVISION: &str = "500000";

const PLACE_A: &str = "龙凤石白青金银花双新太永兴安长土马鹿虎铜铁黄高大小清水三五九七万福寿仁和平丰溪河桥\
峰岭坪坝湾沱庙塘井林松柏桂梅兰竹荷杨李陈何张刘鱼蔡界圣狮玉宝红";
const PLACE_B: &str =
    "家山坪坝湾溪桥沱场门口岗岩塘田园洞滩河江湖峰林庙寺街城堡台垭沟槽嘴坡关铺店渡";
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程\
苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛";
const GIVEN: &str =
    "明华强伟芳丽敏静军杰涛磊洋勇艳娟霞平刚辉玲英红兰秀云建国志文斌波宇鹏飞婷雪琴梅";
/// Trade names of private hospitals.
pub(crate) const BRANDS: [&str; 20] = [
    "康宁", "仁和", "博济", "华康", "安康", "惠民", "济民", "同心", "长江", "嘉陵", "山城", "巴渝",
    "渝康", "德仁", "普济", "瑞康", "明德", "康泰", "佳禾", "万福",
];

/// Draws names, never the same place name twice in one city.
#[derive(Debug)]
pub(crate) struct Names {
    place_a: Vec<char>,
    place_b: Vec<char>,
    surnames: Vec<char>,
    given: Vec<char>,
    used: BTreeSet<String>,
}

fn one(rng: &mut ChaCha8Rng, chars: &[char]) -> char {
    chars[rng.random_range(0..chars.len())]
}

impl Names {
    pub(crate) fn new() -> Names {
        Names {
            place_a: PLACE_A.chars().collect(),
            place_b: PLACE_B.chars().collect(),
            surnames: SURNAMES.chars().collect(),
            given: GIVEN.chars().collect(),
            used: BTreeSet::new(),
        }
    }

    /// A place name not used before in this city (石桥, 龙溪 …).
    pub(crate) fn place(&mut self, rng: &mut ChaCha8Rng) -> String {
        for tries in 0..10_000 {
            let mut s = String::new();
            s.push(one(rng, &self.place_a));
            if tries >= 1_000 {
                s.push(one(rng, &self.place_a)); // two-character names are running out
            }
            let last = one(rng, &self.place_b);
            if s.ends_with(last) {
                continue; // 庙庙, 林林: not a name
            }
            s.push(last);
            if self.used.insert(s.clone()) {
                return s;
            }
        }
        panic!("BUG: 10 000 tries found no unused place name");
    }

    /// A person's name: a surname and one or two given characters.
    pub(crate) fn person(&self, rng: &mut ChaCha8Rng) -> String {
        let mut s = String::new();
        s.push(one(rng, &self.surnames));
        s.push(one(rng, &self.given));
        if rng.random_bool(0.6) {
            s.push(one(rng, &self.given));
        }
        s
    }
}

/// A number in Chinese numerals, 1–99 (网格一, 第二人民医院, 网格十二).
pub(crate) fn cn_num(k: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    assert!((1..100).contains(&k), "BUG: numbering runs 1–99, got {k}");
    let (tens, units) = (k / 10, k % 10);
    let mut s = String::new();
    if tens > 1 {
        s.push_str(DIGITS[tens]);
    }
    if tens > 0 {
        s.push('十');
    }
    if units > 0 {
        s.push_str(DIGITS[units]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals() {
        let got: Vec<String> = [1, 2, 10, 11, 20, 21, 99]
            .iter()
            .map(|&k| cn_num(k))
            .collect();
        assert_eq!(got, ["一", "二", "十", "十一", "二十", "二十一", "九十九"]);
    }
}
