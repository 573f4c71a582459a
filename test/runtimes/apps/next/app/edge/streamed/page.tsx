// The streamed page on the Edge runtime: the shell (with the layout's head) first, the suspended part half a second later.
import Streamed from '../../streamed/page';

export const runtime = 'edge';

export default Streamed;
