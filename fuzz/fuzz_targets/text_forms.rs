//! The whole text pipeline on arbitrary input: no panic, every span in range and on
//! character boundaries, and the match form stable under a second pass.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let display = vi_text::display(raw);
    for view in [vi_text::match_view(&display), vi_text::fold_view(&display)] {
        for (v, d) in view.spans() {
            assert!(view.text().is_char_boundary(v.start) && view.text().is_char_boundary(v.end));
            assert!(d.start <= d.end && d.end <= display.len());
            assert!(display.is_char_boundary(d.start) && display.is_char_boundary(d.end));
        }
    }
    let matched = vi_text::match_view(&display);
    assert_eq!(vi_text::match_view(matched.text()).text(), matched.text());
    let tokens = vi_text::tokenize(&display);
    for t in &tokens {
        assert!(
            display.is_char_boundary(t.start) && display.is_char_boundary(t.end) && t.start < t.end
        );
    }
    for a in vi_text::expansions(&display, &tokens)
        .into_iter()
        .chain(vi_text::deobfuscations(&display, &tokens))
    {
        assert!(a.start <= a.end && a.end <= display.len());
    }
    let _ = vi_text::language(&display);
});
