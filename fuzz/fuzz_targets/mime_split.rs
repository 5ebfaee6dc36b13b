//! Fuzzes the streaming MIME splitter: any input, in any chunking, must scan to the same
//! structure without panicking; every attachment's decoded size must equal what decoding its
//! byte range yields; and a skeleton must come out exactly as long as the plan says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanrelay_graph::mime::{BodyDecoder, Counter, Scanner, SkeletonBuilder, SplitError, plan};

fuzz_target!(|input: &[u8]| {
    let Some((&chunk, message)) = input.split_first() else {
        return;
    };
    let chunk = usize::from(chunk % 64) + 1;
    let split = |size: usize| {
        let mut scanner = Scanner::new();
        for piece in message.chunks(size) {
            scanner.feed(piece)?;
        }
        scanner.finish()
    };
    let whole = split(message.len().max(1));
    assert_eq!(split(chunk), whole, "chunking changed the structure");
    let Ok(structure) = whole else {
        return;
    };
    for attachment in structure.attachments() {
        let body = &message[attachment.body.start as usize..attachment.body.end as usize];
        let mut decoder = BodyDecoder::new(attachment.encoding);
        let mut counter = Counter::default();
        decoder.feed(body, &mut counter);
        decoder.finish(&mut counter);
        assert_eq!(counter.0, attachment.size, "decoded size");
    }
    let budget = u64::from(input[0]) * 4;
    let plan = match plan(&structure, budget) {
        Ok(plan) => plan,
        Err(SplitError::SkeletonTooLarge { skeleton, .. }) => {
            plan(&structure, skeleton).expect("the smallest skeleton fits its own size")
        }
        Err(other) => panic!("unexpected planning error {other}"),
    };
    let mut builder = SkeletonBuilder::new(&plan);
    for (i, piece) in message.chunks(chunk).enumerate() {
        builder.feed((i * chunk) as u64, piece);
    }
    assert_eq!(
        builder.finish().len() as u64,
        plan.skeleton_len,
        "skeleton length"
    );
});
